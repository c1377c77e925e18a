"""`staging._intsync_cursors`: each integration's committed connector state, per resource.

A sync commits the cursors of the resources it read once their rows are in the warehouse, in
one transaction of its own after the loads: a run that dies before it leaves the old cursors,
the next run reads the same records again, and the merges on (venue_id, id) make that repeat
harmless. One table for every integration, so the warehouse's catalogue does not grow with them;
any worker that shares the warehouse reads the cursor another one committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from warehouse.destinations import Warehouse, again_on_collision, collided, quoted

DATASET = "staging"
TABLE = "_intsync_cursors"
NAME = f"{quoted(DATASET)}.{quoted(TABLE)}"
# rows written by one statement (a VALUES list with this many rows)
CHUNK = 400
_CREATE = (
    f"create table if not exists {NAME} ("
    " integration_id text not null, resource text not null, venue_id text, state text not null,"
    " run_id text, committed_at timestamp with time zone,"
    " primary key (integration_id, resource))"
)


@dataclass(frozen=True)
class Cursor:
    """One resource's committed state for one integration."""

    integration_id: str
    resource: str
    venue_id: str | None
    state: dict[str, Any]
    run_id: str | None = None


def read_cursors(
    warehouse: Warehouse, integration_ids: Sequence[str], connection: Any = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """The committed states of these integrations: {integration: {resource: state}} (an
    integration never synced has none). One query per CHUNK integrations."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    if not integration_ids or not _exists(warehouse, connection):
        return found
    mark = warehouse.placeholder
    with warehouse.locked_connection(connection) as con:
        cur = con.cursor()
        for part in _chunks(list(integration_ids), CHUNK):
            cur.execute(
                f"select integration_id, resource, state from {NAME}"
                f" where integration_id in ({', '.join([mark] * len(part))})",
                tuple(part),
            )
            for integration_id, resource, state in cur.fetchall():
                found.setdefault(integration_id, {})[resource] = orjson.loads(state)
    return found


def commit_cursors(warehouse: Warehouse, cursors: Iterable[Cursor], connection: Any = None) -> int:
    """Write these states in one transaction (created or replaced); the number written. The
    caller holds the write lock on DuckDB (passing the `writer` connection)."""
    rows = [(c.integration_id, c.resource, c.venue_id, _text(c.state), c.run_id) for c in cursors]
    if not rows:
        return 0
    ensure_cursor_table(warehouse, connection)
    mark = warehouse.placeholder
    now = datetime.now(UTC)
    with warehouse.locked_connection(connection) as con:
        cur = con.cursor()
        for part in _chunks(rows, CHUNK):
            values = ", ".join([f"({mark}, {mark}, {mark}, {mark}, {mark}, {mark})"] * len(part))
            cur.execute(
                f"insert into {NAME} (integration_id, resource, venue_id, state, run_id,"
                f" committed_at) values {values} on conflict (integration_id, resource) do update"
                " set venue_id = excluded.venue_id, state = excluded.state,"
                " run_id = excluded.run_id, committed_at = excluded.committed_at",
                tuple(value for row in part for value in (*row, now)),
            )
    return len(rows)


def forget_cursors(
    warehouse: Warehouse, integration_ids: Sequence[str], connection: Any = None
) -> int:
    """Delete the states of these integrations (removed ones); the number of rows deleted."""
    if not integration_ids or not _exists(warehouse, connection):
        return 0
    mark = warehouse.placeholder
    deleted = 0
    with warehouse.locked_connection(connection) as con:
        cur = con.cursor()
        for part in _chunks(list(integration_ids), CHUNK):
            cur.execute(
                f"delete from {NAME} where integration_id in ({', '.join([mark] * len(part))})",
                tuple(part),
            )
            deleted += max(cur.rowcount or 0, 0) if warehouse.kind == "postgres" else 0
    return deleted


def cursor_owners(warehouse: Warehouse) -> set[str]:
    """The integrations with a committed state."""
    if not _exists(warehouse, None):
        return set()
    return {row[0] for row in warehouse.query(f"select distinct integration_id from {NAME}")}


def ensure_cursor_table(warehouse: Warehouse, connection: Any = None) -> None:
    """Create the table (and the staging dataset) where missing."""

    def create() -> None:
        with warehouse.locked_connection(connection) as con:
            cur = con.cursor()
            cur.execute(f"create schema if not exists {quoted(DATASET)}")
            cur.execute(_CREATE)

    # two workers' first syncs may create it at once on PostgreSQL: the later finds it made
    again_on_collision(create, lambda exc: exc if collided(exc) else None, f"creating {NAME}")


def _exists(warehouse: Warehouse, connection: Any) -> bool:
    if not warehouse.exists():
        return False
    mark = warehouse.placeholder
    with warehouse.locked_connection(connection) as con:
        cur = con.cursor()
        cur.execute(
            "select count(*) from information_schema.tables"
            f" where table_schema = {mark} and table_name = {mark}",
            (DATASET, TABLE),
        )
        return bool(cur.fetchone()[0])


def _text(state: Mapping[str, Any]) -> str:
    return orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
