"""Version 3: the fields each integration's resources have been seen to carry (for drift notes).

Frozen: these definitions describe the schema as version 3 shipped it. Change the schema by
adding a migration, never by editing this one.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table

from warehouse.store.types import UTCDateTime

DESCRIPTION = "fields seen per integration resource"


def upgrade(conn: Connection) -> None:
    """Create `seen_fields`."""
    md = MetaData()
    Table(
        "seen_fields",
        md,
        Column("integration_id", String(32), primary_key=True),
        Column("resource", String(64), primary_key=True),
        Column("path", String(512), primary_key=True),
        Column("first_seen_at", UTCDateTime, nullable=False),
        Column("run_id", String(64)),
    )
    md.create_all(conn)
