"""`ops.quarantine`: records a mapping set aside, as a worklist.

A row per (venue_id, table_name, record_id), merged by each run that quarantines the record
again. It is open while `resolved_at` is null; a later sync or remap that maps the record into
its table sets `resolved_at` (see `settle_quarantine_table`), and quarantining it again opens it
anew. The table exists from the first sync on (`settle_quarantine_table`), so that queries of it
work before anything was quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from warehouse.destinations import Warehouse, again_on_collision, collided
from warehouse.layout import create_compressed_tables

DATASET = "ops"
QUARANTINE_TABLE = "quarantine"
QUARANTINE_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("venue_id", pa.string()),
        ("integration_id", pa.string()),
        ("provider", pa.string()),
        ("resource", pa.string()),
        ("spec", pa.string()),
        ("table_name", pa.string()),
        ("record_id", pa.string()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
        ("record", pa.string()),
        ("run_id", pa.string()),
        ("_quarantined_at", pa.timestamp("us", tz="UTC")),
        # null while open; a row quarantined again is written with null, so it opens again
        ("resolved_at", pa.timestamp("us", tz="UTC")),
    ]
)
QUARANTINE_HINTS: dict[str, Any] = {
    "primary_key": ["venue_id", "table_name", "record_id"],
    "write_disposition": "merge",
    "columns": {"record": {"data_type": "json", "nullable": True}},
}
# the columns as created before dlt first loads the table (dlt adds its own after)
_COLUMNS: dict[str, dict[str, Any]] = {
    field.name: {
        "data_type": "timestamp" if pa.types.is_timestamp(field.type) else "text",
        "nullable": True,
        **QUARANTINE_HINTS["columns"].get(field.name, {}),
    }
    for field in QUARANTINE_SCHEMA
}
# a quarantined value shorter than this is left in the reason when reasons are grouped
_SHORTEST_STRIPPED = 3


@dataclass(frozen=True)
class MappedTable:
    """A table a run mapped records into: where its rows are and which column holds the key
    that quarantine rows name as `record_id`."""

    dataset: str
    table: str
    key: str


@dataclass(frozen=True)
class Settling:
    """One integration's run to settle: the tables it mapped records into since `since`."""

    integration_id: str
    venue_id: str
    tables: Sequence[MappedTable]
    since: datetime


def settle_quarantine_table(
    warehouse: Warehouse,
    integration_id: str,
    venue_id: str,
    tables: Sequence[MappedTable],
    since: datetime,
) -> int:
    """Create `ops.quarantine` when missing (and its `resolved_at` column in a warehouse whose
    table predates it), then mark resolved the integration's open rows whose record now has a
    row in its table written at or after `since` (the start of the sync or remap that mapped
    it); the number of rows resolved. One connection; the caller holds the venue's write lock."""
    return settle_quarantine_tables(warehouse, [Settling(integration_id, venue_id, tables, since)])


def settle_quarantine_tables(warehouse: Warehouse, runs: Sequence[Settling]) -> int:
    """`settle_quarantine_table` for the runs of a batch, in one connection: one query finds
    which of them have open rows at all."""
    resolved: list[int] = []

    def settle() -> None:
        resolved.clear()
        with warehouse.connect() as con:
            cur = con.cursor()
            have = _quarantine_columns(warehouse, cur)
            if not have:
                create_compressed_tables(con, warehouse.kind, DATASET, {QUARANTINE_TABLE: _COLUMNS})
            elif "resolved_at" not in have:
                cur.execute(
                    f'alter table "{DATASET}"."{QUARANTINE_TABLE}"'
                    " add column resolved_at TIMESTAMP WITH TIME ZONE"
                )
            if have:
                opened = _open_counts(warehouse, cur, [r.integration_id for r in runs if r.tables])
                for run in runs:
                    if opened.get(run.integration_id):
                        found = opened[run.integration_id]
                        resolved.append(_resolve(warehouse, cur, run, found))
            con.commit()

    again_on_collision(
        settle, lambda exc: exc if collided(exc) else None, "settling ops.quarantine"
    )
    return sum(resolved)


def _open_counts(
    warehouse: Warehouse, cur: Any, integration_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Open rows per integration and table, of these integrations."""
    found: dict[str, dict[str, int]] = {}
    mark = warehouse.placeholder
    for start in range(0, len(integration_ids), 500):
        part = list(integration_ids[start : start + 500])
        cur.execute(
            f'select integration_id, table_name, count(*) from "{DATASET}"."{QUARANTINE_TABLE}"'
            f" where resolved_at is null and integration_id in ({', '.join([mark] * len(part))})"
            " group by integration_id, table_name",
            tuple(part),
        )
        for integration_id, table, count in cur.fetchall():
            found.setdefault(integration_id, {})[table] = count
    return found


def _quarantine_columns(warehouse: Warehouse, cur: Any) -> set[str]:
    mark = warehouse.placeholder
    cur.execute(
        "select column_name from information_schema.columns"
        f" where table_schema = {mark} and table_name = {mark}",
        (DATASET, QUARANTINE_TABLE),
    )
    return {row[0] for row in cur.fetchall()}


def _resolve(warehouse: Warehouse, cur: Any, run: Settling, open_by_table: dict[str, int]) -> int:
    mark = warehouse.placeholder
    resolved = 0
    for mapped in run.tables:
        if not open_by_table.get(mapped.table) or not _exists(warehouse, cur, mapped):
            continue
        cur.execute(
            f'update "{DATASET}"."{QUARANTINE_TABLE}" set resolved_at = {mark}'
            f" where resolved_at is null and venue_id = {mark} and integration_id = {mark}"
            f" and table_name = {mark} and record_id in ("
            f' select cast("{mapped.key}" as varchar) from "{mapped.dataset}"."{mapped.table}"'
            f" where venue_id = {mark} and integration_id = {mark} and _synced_at >= {mark})",
            (
                run.since,
                run.venue_id,
                run.integration_id,
                mapped.table,
                run.venue_id,
                run.integration_id,
                run.since,
            ),
        )
        resolved += cur.rowcount if warehouse.kind == "postgres" else cur.fetchone()[0]
    return resolved


def _exists(warehouse: Warehouse, cur: Any, mapped: MappedTable) -> bool:
    mark = warehouse.placeholder
    cur.execute(
        "select count(*) from information_schema.tables"
        f" where table_schema = {mark} and table_name = {mark}",
        (mapped.dataset, mapped.table),
    )
    return bool(cur.fetchone()[0])


@dataclass(frozen=True)
class OpenGroup:
    """Open quarantine rows of one table that failed on the same field for the same reason."""

    venue_id: str
    table_name: str
    field: str
    reason: str
    records: int
    last_quarantined_at: datetime | None


def open_quarantine(
    warehouse: Warehouse, venue_id: str | None = None, table: str | None = None
) -> list[OpenGroup]:
    """The open quarantine by venue, table, field and reason (the record's own value taken out
    of the reason, so that one problem is one group), most records first."""
    if not warehouse.table_exists(DATASET, QUARANTINE_TABLE):
        return []
    where, params = _filters(warehouse, venue_id, table)
    reason = (
        f"case when length(coalesce(value, '')) < {_SHORTEST_STRIPPED} then reason"
        " else replace(reason, value, '...') end"
    )
    rows = warehouse.query(
        f"select venue_id, table_name, field, {reason} as problem, count(*),"
        f' max(_quarantined_at) from "{DATASET}"."{QUARANTINE_TABLE}" where {where}'
        " group by venue_id, table_name, field, problem"
        " order by count(*) desc, venue_id, table_name, field, problem",
        params,
    )
    return [OpenGroup(*row) for row in rows]


def open_records(
    warehouse: Warehouse, venue_id: str | None = None, table: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest open quarantine rows (without the record itself), at most `limit`."""
    if not warehouse.table_exists(DATASET, QUARANTINE_TABLE):
        return []
    where, params = _filters(warehouse, venue_id, table)
    names, rows = _columns(
        warehouse,
        "select venue_id, integration_id, table_name, record_id, field, value, reason,"
        f' _quarantined_at from "{DATASET}"."{QUARANTINE_TABLE}" where {where}'
        " order by _quarantined_at desc, venue_id, table_name, record_id"
        f" limit {int(limit)}",
        params,
    )
    return [dict(zip(names, row, strict=True)) for row in rows]


def _filters(
    warehouse: Warehouse, venue_id: str | None, table: str | None
) -> tuple[str, list[Any]]:
    mark = warehouse.placeholder
    where, params = ["resolved_at is null"], []
    if venue_id:
        where.append(f"venue_id = {mark}")
        params.append(venue_id)
    if table:
        where.append(f"table_name = {mark}")
        params.append(table.rpartition(".")[2])
    return " and ".join(where), params


def _columns(warehouse: Warehouse, sql: str, params: list[Any]) -> tuple[list[str], list[Any]]:
    with warehouse.connect() as con:
        cur = con.cursor()
        cur.execute(sql, tuple(params))
        return [d[0] for d in cur.description], list(cur.fetchall())
