from __future__ import annotations

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
