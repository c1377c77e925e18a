"""Version 2: webhook inbox, dead letters, OAuth tokens, circuit breakers, service nonces.

Frozen: these definitions describe the schema as version 2 shipped it. Change the schema by
adding a migration, never by editing this one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
)

from warehouse.store.types import BigId, Json, UTCDateTime

DESCRIPTION = "webhook inbox, dead letters, oauth tokens, circuit breakers, service nonces"


def upgrade(conn: Connection) -> None:
    """Create the version 2 tables and the inbox duplicate counter."""
    md = MetaData()
    # Stand-in for the existing table, so the foreign key below can name it.
    Table("integrations", md, Column("id", String(32), primary_key=True))
    Table(
        "webhook_inbox",
        md,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("provider", String(32), nullable=False),
        Column("integration_id", String(32), nullable=False),
        Column("tenant_id", String(255), nullable=False),
        Column("venue_id", String(255), nullable=False),
        Column("event_id", String(255), nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
        Column("headers", Json, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("claimed_at", UTCDateTime),
        Column("last_error", Text),
        UniqueConstraint("provider", "integration_id", "event_id", name="uq_webhook_inbox_event"),
        Index("ix_webhook_inbox_status", "status", "id"),
    )
    counters = Table(
        "counters",
        md,
        Column("name", String(64), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    Table(
        "dead_letters",
        md,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("kind", String(32), nullable=False),
        Column("integration_id", String(32)),
        Column("payload", Json, nullable=False),
        Column("reason", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
    )
    Table(
        "oauth_tokens",
        md,
        Column(
            "integration_id",
            String(32),
            ForeignKey("integrations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("tokens", Text, nullable=False),
        Column("expires_at", UTCDateTime),
        Column("version", Integer, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    Table(
        "circuit_breakers",
        md,
        Column("name", String(255), primary_key=True),
        Column("state", String(16), nullable=False),
        Column("consecutive_failures", Integer, nullable=False),
        Column("opened_at", UTCDateTime),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    Table(
        "service_nonces",
        md,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("service", String(255), nullable=False),
        Column("nonce", String(255), nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        UniqueConstraint("service", "nonce", name="uq_service_nonces"),
        Index("ix_service_nonces_expires", "expires_at"),
    )
    md.create_all(conn, tables=[t for name, t in md.tables.items() if name != "integrations"])
    conn.execute(insert(counters).values(name="inbox_duplicates", value=0))
