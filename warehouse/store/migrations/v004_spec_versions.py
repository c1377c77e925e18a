"""Version 4: each sync log records the version (content hash) of every spec it mapped with.

Frozen: this describes the schema as version 4 shipped it. Change the schema by adding a
migration, never by editing this one.
"""

from __future__ import annotations

from sqlalchemy import JSON, Connection, text
from sqlalchemy.dialects.postgresql import JSONB

DESCRIPTION = "sync_logs.spec_versions: the spec versions each sync mapped with"


def upgrade(conn: Connection) -> None:
    """Add the nullable json column `sync_logs.spec_versions` (older rows keep null)."""
    kind = JSON().with_variant(JSONB(), "postgresql").compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE sync_logs ADD COLUMN spec_versions {kind}"))
