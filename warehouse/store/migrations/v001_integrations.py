"""Version 1: store metadata, integrations and sync logs.

Frozen: these definitions describe the schema as version 1 shipped it. Change the schema by
adding a migration, never by editing this one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from warehouse.store.types import BigId, Json, UTCDateTime

DESCRIPTION = "store metadata, integrations, sync logs"


def upgrade(conn: Connection) -> None:
    """Create the version 1 tables."""
    md = MetaData()
    Table(
        "meta",
        md,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "schema_version",
        md,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("description", String(255), nullable=False),
        Column("applied_at", UTCDateTime, nullable=False),
    )
    Table(
        "integrations",
        md,
        Column("id", String(32), primary_key=True),
        Column("tenant_id", String(255), nullable=False),
        Column("venue_id", String(255), nullable=False),
        Column("provider", String(32), nullable=False),
        Column("name", String(255)),
        Column("base_url", Text),
        Column("credentials", Text, nullable=False),
        Column("status", String(32), nullable=False),
        Column("status_message", Text),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Index("ix_integrations_tenant", "tenant_id"),
        Index("ix_integrations_venue", "venue_id"),
    )
    Table(
        "sync_logs",
        md,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("run_id", String(64), nullable=False),
        Column("integration_id", String(32), nullable=False),
        Column("tenant_id", String(255), nullable=False),
        Column("venue_id", String(255), nullable=False),
        Column("provider", String(32), nullable=False),
        Column("resource", String(64), nullable=False),
        Column("status", String(32), nullable=False),
        Column("started_at", UTCDateTime, nullable=False),
        Column("finished_at", UTCDateTime),
        Column("rows_extracted", BigInteger, nullable=False),
        Column("rows_loaded", BigInteger, nullable=False),
        Column("rows_deleted", BigInteger, nullable=False),
        Column("rows_quarantined", BigInteger, nullable=False),
        Column("cursor_before", Text),
        Column("cursor_after", Text),
        Column("error_class", String(255)),
        Column("error_message", Text),
        Column("details", Json),
        Index("ix_sync_logs_venue", "venue_id", "id"),
        Index("ix_sync_logs_tenant", "tenant_id", "id"),
        Index("ix_sync_logs_integration", "integration_id", "id"),
        Index("ix_sync_logs_run", "run_id"),
    )
    md.create_all(conn)
