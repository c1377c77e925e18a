"""How fresh the warehouse is: the newest `_synced_at` of each integration's rows in each
mapped staging table. Read-only."""

from __future__ import annotations

from datetime import UTC, datetime

from warehouse.destinations import Warehouse, quoted

STAGING = "staging"


def staging_tables(warehouse: Warehouse) -> list[str]:
    """The staging tables that carry both `integration_id` and `_synced_at` (the mapped
    tables; dlt's child and bookkeeping tables do not), by name."""
    if not warehouse.exists():
        return []
    mark = warehouse.placeholder
    rows = warehouse.query(
        "select table_name from information_schema.columns"
        f" where table_schema = {mark} and column_name in ('integration_id', '_synced_at')"
        " group by table_name having count(*) = 2 order by table_name",
        (STAGING,),
    )
    return [name for (name,) in rows]


def newest_synced(warehouse: Warehouse) -> dict[tuple[str, str], datetime]:
    """`{(integration id, table): newest _synced_at}` over every mapped staging table, in UTC;
    empty for a warehouse that does not exist yet."""
    tables = staging_tables(warehouse)
    if not tables:
        return {}
    sql = " union all ".join(
        f"select integration_id, {_literal(table)} as table_name, max(_synced_at) as newest"
        f" from {quoted(STAGING)}.{quoted(table)} group by integration_id"
        for table in tables
    )
    found: dict[tuple[str, str], datetime] = {}
    for integration_id, table, newest in warehouse.query(sql):
        if integration_id is not None and newest is not None:
            found[(integration_id, table)] = _utc(newest)
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
