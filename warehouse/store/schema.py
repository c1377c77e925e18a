"""The store's tables as the current code reads and writes them (migrations/ builds them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from warehouse.store.types import BigId, Json, UTCDateTime

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(255), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("venue_id", String(255), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("name", String(255)),
    Column("base_url", Text),
    Column("credentials", Text, nullable=False),  # Fernet token of the credentials JSON
    Column("status", String(32), nullable=False),
    Column("status_message", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_integrations_tenant", "tenant_id"),
    Index("ix_integrations_venue", "venue_id"),
)

sync_logs = Table(
    "sync_logs",
    metadata,
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
    Column("spec_versions", Json),  # {"staging.stripe_charges": "sha256:1a2b3c4d5e6f", ...}
    Index("ix_sync_logs_venue", "venue_id", "id"),
    Index("ix_sync_logs_tenant", "tenant_id", "id"),
    Index("ix_sync_logs_integration", "integration_id", "id"),
    Index("ix_sync_logs_run", "run_id"),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
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
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("integration_id", String(32)),
    Column("payload", Json, nullable=False),
    Column("reason", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column(
        "integration_id",
        String(32),
        ForeignKey("integrations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tokens", Text, nullable=False),  # Fernet token of the token JSON
    Column("expires_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

circuit_breakers = Table(
    "circuit_breakers",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("opened_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

service_nonces = Table(
    "service_nonces",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("service", String(255), nullable=False),
    Column("nonce", String(255), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    UniqueConstraint("service", "nonce", name="uq_service_nonces"),
    Index("ix_service_nonces_expires", "expires_at"),
)

seen_fields = Table(
    "seen_fields",
    metadata,
    Column("integration_id", String(32), primary_key=True),
    Column("resource", String(64), primary_key=True),
    Column("path", String(512), primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("run_id", String(64)),
)
