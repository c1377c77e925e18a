"""Tables intsync creates itself, before dlt first loads them, to store large text compressed.

dlt's DDL names no column compression. A column hinted `x-compressed` (raw records: JSON text of
a few kilobytes each) is created with the warehouse's fastest text compression instead: zstd on
DuckDB, where its default (FSST) took twice the time to store 100,000 Stripe charges and five
times the space; lz4 on PostgreSQL, where its default (pglz) took 1.7 times the time to copy
50,000 of them and 0.8 times the space. dlt then adds to the table instead of creating it.
Tables that already exist keep their storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from warehouse.errors import WarehouseError

COMPRESSED_HINT = "x-compressed"

_TYPES = {
    "duckdb": {
        "text": "VARCHAR",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "bool": "BOOLEAN",
        "json": "JSON",
    },
    "postgres": {
        "text": "varchar",
        "timestamp": "timestamp with time zone",
        "bigint": "bigint",
        "double": "double precision",
        "bool": "boolean",
        "json": "json",
    },
}


def with_compressed_columns(
    tables: Mapping[str, Mapping[str, Any]],
) -> dict[str, Mapping[str, Any]]:
    """The tables (name: dlt column hints) that have a compressed column."""
    return {
        name: columns
        for name, columns in tables.items()
        if any(column.get(COMPRESSED_HINT) for column in columns.values())
    }


def create_compressed_tables(
    con: Any, kind: str, dataset: str, tables: Mapping[str, Mapping[str, Any]]
) -> None:
    """On an open DB-API connection to a `kind` warehouse, create each of the tables (name:
    dlt column hints) that does not exist yet."""
    cur = con.cursor()
    method = _compression(cur, kind)
    cur.execute(f'create schema if not exists "{dataset}"')
    for name, columns in tables.items():
        cur.execute(_create_table_sql(kind, dataset, name, columns, method))


def _compression(cur: Any, kind: str) -> str | None:
    if kind == "duckdb":
        return "zstd"
    # a server built without lz4 refuses it: keep its default there
    cur.execute(
        "select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'"
    )
    row = cur.fetchone()
    return "lz4" if row and row[0] else None


def _create_table_sql(
    kind: str,
    dataset: str,
    table: str,
    columns: Mapping[str, Mapping[str, Any]],
    method: str | None,
) -> str:
    parts = []
    for name, column in columns.items():
        data_type = _TYPES[kind].get(column.get("data_type", ""))
        if data_type is None:
            raise WarehouseError(
                f"{dataset}.{table}.{name}: no {kind} type for dlt data type "
                f"{column.get('data_type')!r} in a table with compressed columns "
                f"(known: {', '.join(_TYPES[kind])}; add it in warehouse/layout.py)"
            )
        sql = f'"{name}" {data_type}'
        if column.get(COMPRESSED_HINT) and method:
            sql += f" USING COMPRESSION {method}" if kind == "duckdb" else f" COMPRESSION {method}"
        if column.get("nullable") is False:
            sql += " NOT NULL"
        parts.append(sql)
    return f'create table if not exists "{dataset}"."{table}" ({", ".join(parts)})'
