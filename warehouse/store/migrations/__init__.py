"""Versioned schema migrations: an ordered list, applied in place, recorded in `schema_version`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, inspect, select, text

from warehouse.errors import MigrationError
from warehouse.store.migrations import (
    v001_integrations,
    v002_queues,
    v003_seen_fields,
    v004_spec_versions,
)
from warehouse.store.schema import schema_version
from warehouse.store.types import utcnow

# Any constant will do: it names the lock that serialises migrations across processes.
_PG_LOCK_ID = 7_350_214_901


@dataclass(frozen=True)
class Migration:
    """One schema step: `upgrade` runs inside the migrating transaction."""

    version: int
    description: str
    upgrade: Callable[[Connection], None]


MIGRATIONS: list[Migration] = [
    Migration(1, v001_integrations.DESCRIPTION, v001_integrations.upgrade),
    Migration(2, v002_queues.DESCRIPTION, v002_queues.upgrade),
    Migration(3, v003_seen_fields.DESCRIPTION, v003_seen_fields.upgrade),
    Migration(4, v004_spec_versions.DESCRIPTION, v004_spec_versions.upgrade),
]
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """The store's schema version; 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.scalar(select(func.max(schema_version.c.version))) or 0)


def lock(conn: Connection) -> None:
    """Serialise migrating processes (SQLite's BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})


def check_supported(version: int) -> None:
    """MigrationError when the store is newer than this code."""
    if version > LATEST:
        raise MigrationError(
            f"the store is at schema version {version} but this intsync knows versions up to "
            f"{LATEST}: upgrade intsync (pip install -U intsync) before opening it"
        )


def upgrade(conn: Connection, *, target: int | None = None) -> list[int]:
    """Apply the migrations after the store's version up to `target` (default: latest)."""
    target = LATEST if target is None else target
    version = current_version(conn)
    check_supported(version)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if version < migration.version <= target:
            try:
                migration.upgrade(conn)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.version} ({migration.description}) failed: {exc}; "
                    f"the whole upgrade was rolled back and the store is still at version {version}"
                ) from exc
            conn.execute(
                insert(schema_version).values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=utcnow(),
                )
            )
            applied.append(migration.version)
    return applied
