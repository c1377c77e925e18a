from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg2
import pytest

from warehouse.destinations import Warehouse


@pytest.mark.postgres
def test_the_unique_state_key_of_older_postgres_warehouses_is_dropped(pg_database):
    with psycopg2.connect(pg_database) as con:
        con.cursor().execute(
            "create schema staging;"
            " create table staging._dlt_pipeline_state (_dlt_id text unique, version bigint);"
            " create schema core;"
            " create table core._dlt_pipeline_state (_dlt_id text unique, version bigint)"
        )
    warehouse = Warehouse(pg_database)
    warehouse.allow_repeated_state_rows("staging")
    warehouse.allow_repeated_state_rows("staging")  # nothing left to drop: no error
    keys = warehouse.query(
        "select n.nspname from pg_constraint c join pg_namespace n on n.oid = c.connamespace"
        " where c.contype = 'u' and n.nspname in ('staging', 'core')"
    )
    assert keys == [("core",)], "only the asked dataset's key goes"
    with psycopg2.connect(pg_database) as con:
        con.cursor().execute("insert into staging._dlt_pipeline_state values ('a', 1), ('a', 1)")


def test_duckdb_warehouses_have_no_state_key_to_drop(tmp_path):
    Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}").allow_repeated_state_rows("staging")
    assert not (tmp_path / "wh.duckdb").exists(), "nothing was opened"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        duckdb.connect(str(tmp_path / "wh.duckdb")).close()
        return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_database"))


A, B = "int_0123456789abcdef", "int_fedcba9876543210"


def test_loader_datasets_are_found_by_loader_and_dropped_with_their_tables(warehouse):
    lookalikes = ("staging", "raw_load_history", "core_load_int_a", f'ops_load_{A}" x')
    with warehouse.connect() as con:
        cur = con.cursor()
        for schema in (f"staging_load_{A}", f"core_load_{A}", f"raw_load_{B}", *lookalikes):
            quoted = '"' + schema.replace('"', '""') + '"'
            cur.execute(f"create schema {quoted}")
            cur.execute(f"create table {quoted}.t (id text)")
        con.commit()
    found = warehouse.loader_datasets()
    assert {k: sorted(v) for k, v in found.items()} == {
        A: [f"core_load_{A}", f"staging_load_{A}"],
        B: [f"raw_load_{B}"],
    }, "lookalike names are no loader's"
    warehouse.drop_datasets(found[A])
    assert set(warehouse.loader_datasets()) == {B}
    for schema in lookalikes:
        assert warehouse.table_exists(schema, "t"), f"{schema} stays"
