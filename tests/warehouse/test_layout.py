from __future__ import annotations

import duckdb
import pytest

from warehouse.errors import WarehouseError
from warehouse.layout import (
    COMPRESSED_HINT,
    _create_table_sql,
    create_compressed_tables,
    with_compressed_columns,
)

COLUMNS = {
    "id": {"data_type": "text", "nullable": False},
    "seen_at": {"data_type": "timestamp"},
    "record": {"data_type": "text", COMPRESSED_HINT: True},
}


def test_only_tables_with_a_compressed_column_are_created_by_intsync():
    tables = {"t": COLUMNS, "plain": {"id": {"data_type": "text"}}}
    assert list(with_compressed_columns(tables)) == ["t"]


def test_the_ddl_names_each_warehouses_compression():
    assert _create_table_sql("duckdb", "raw", "t", COLUMNS, "zstd") == (
        'create table if not exists "raw"."t" ("id" VARCHAR NOT NULL, '
        '"seen_at" TIMESTAMP WITH TIME ZONE, "record" VARCHAR USING COMPRESSION zstd)'
    )
    assert _create_table_sql("postgres", "raw", "t", COLUMNS, "lz4") == (
        'create table if not exists "raw"."t" ("id" varchar NOT NULL, '
        '"seen_at" timestamp with time zone, "record" varchar COMPRESSION lz4)'
    )
    # a PostgreSQL server built without lz4 keeps its default
    assert '"record" varchar)' in _create_table_sql("postgres", "raw", "t", COLUMNS, None)


def test_an_unknown_type_is_a_clear_error():
    columns = {**COLUMNS, "amount": {"data_type": "decimal"}}
    with pytest.raises(WarehouseError, match=r"raw\.t\.amount: no duckdb type for dlt data type"):
        _create_table_sql("duckdb", "raw", "t", columns, "zstd")


def test_an_existing_table_keeps_its_storage(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute('create schema raw; create table raw.t (id varchar, "seen_at" timestamptz, '
                "record varchar, extra integer)")  # fmt: skip
    create_compressed_tables(con, "duckdb", "raw", {"t": COLUMNS, "u": COLUMNS})
    columns = con.execute(
        "select table_name, count(*) from information_schema.columns"
        " where table_schema = 'raw' group by 1 order by 1"
    ).fetchall()
    assert columns == [("t", 4), ("u", 3)]
