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


def test_loader_datasets_are_found_by_loader_and_dropped_with_their_tables(warehouse):
    with warehouse.connect() as con:
        cur = con.cursor()
        for schema in ("staging_load_int_a", "core_load_int_a", "raw_load_int_b", "staging"):
            cur.execute(f'create schema "{schema}"')
            cur.execute(f'create table "{schema}".t (id text)')
        con.commit()
    found = warehouse.loader_datasets()
    assert {k: sorted(v) for k, v in found.items()} == {
        "int_a": ["core_load_int_a", "staging_load_int_a"],
        "int_b": ["raw_load_int_b"],
    }
    warehouse.drop_datasets(found["int_a"])
    assert set(warehouse.loader_datasets()) == {"int_b"}
    assert warehouse.table_exists("staging", "t"), "other datasets stay"
