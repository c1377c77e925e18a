"""Each of dlt's quirks that pipelines.dltquirks works around, reproduced on the dlt version it was
seen on: when an upgrade changes one, its test here fails, and the workaround may go."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import dlt
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    SchemaUpdateError,
    SchemaUpdateTerminalError,
)
from dlt.destinations.exceptions import DatabaseTerminalException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines import dltquirks
from warehouse.destinations import Warehouse, collided, postgres_dsn

# sessions of the test's database waiting for another's lock
WAITING = (
    "select count(*) from pg_stat_activity"
    " where datname = current_database() and wait_event_type = 'Lock'"
)


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")


def _pipeline(warehouse: Warehouse, tmp_path: Path, name: str, dataset: str = "staging") -> Any:
    return dlt.pipeline(
        pipeline_name=name,
        destination=dltquirks.destination(warehouse),
        dataset_name=dataset,
        pipelines_dir=str(tmp_path / "dlt"),
    )


def _parquet(path: Path, table: pa.Table) -> Any:
    pq.write_table(table, path)
    return dlt.mark.with_file_import(str(path), "parquet", table.num_rows)


def _chain(exc: BaseException) -> list[BaseException]:
    """The error and those it wraps, as dltquirks follows them."""
    found: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in found:
        found.append(seen)
        nested = getattr(seen, "exception", None)
        seen = nested if isinstance(nested, BaseException) else seen.__cause__ or seen.__context__
    return found


def test_the_installed_dlt_is_the_version_the_quirks_were_seen_on():
    assert dlt.__version__ == dltquirks.SEEN_ON, (
        "dlt changed: run this file, drop the workarounds whose quirk is gone from"
        " pipelines/dltquirks.py, and set SEEN_ON"
    )


@pytest.mark.postgres
def test_dlt_insists_on_a_postgres_password_the_server_does_not_ask_for(pg_database, tmp_path):
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    bare = PostgresCredentials()
    bare.parse_native_representation(postgres_dsn(pg_database))
    if bare.password is not None:
        pytest.skip("the test server asks for a password")
    pipe = dlt.pipeline(
        pipeline_name="bare",
        destination=dlt.destinations.postgres(credentials=bare),
        dataset_name="staging",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    with pytest.raises(ConfigFieldMissingException, match="password"):
        pipe.sql_client()

    pipe = _pipeline(Warehouse(pg_database), tmp_path, "empty")
    with pipe.sql_client() as client:
        assert client.execute_sql("select 1") == [(1,)]


@pytest.mark.postgres
def test_dlts_binary_copy_cannot_write_jsonb_columns(pg_database, tmp_path):
    warehouse = Warehouse(pg_database)
    with warehouse.connect() as con:  # as dlt's CSV copy made it
        con.cursor().execute("create schema staging; create table staging.j (id text, doc jsonb)")
    rows = pa.table({"id": ["a"], "doc": ['{"a": 1}']})

    def load(name: str) -> None:
        resource = dlt.resource(
            [_parquet(tmp_path / f"{name}.parquet", rows)],
            name="j",
            columns={"doc": {"data_type": "json"}},
            file_format="parquet",
        )
        _pipeline(warehouse, tmp_path, name).run(resource)

    with pytest.raises(PipelineStepFailed) as failed:
        load("before")
    assert "unsupported jsonb version number" in str(_chain(failed.value)[-1])

    with warehouse.connect() as con:
        dltquirks.json_not_jsonb(con, "staging", ["j"])
    load("after")
    assert warehouse.query("select doc->>'a' from staging.j") == [("1",)]


def test_packages_a_dead_run_left_load_with_the_next_run(duckdb_warehouse, tmp_path):
    def charges(version: str, *ids: int) -> Any:
        rows = [{"id": i, "version": version} for i in ids]
        return dlt.resource(rows, name="t", write_disposition="merge", primary_key="id")

    pipe = _pipeline(duckdb_warehouse, tmp_path, "leftovers")
    pipe.run(charges("old", 1))
    pipe.extract(charges("stale", 1))  # the run died here
    folder = Path(pipe.working_dir)
    assert dltquirks.holds_packages(folder) and dltquirks.leftovers(pipe)

    again = _pipeline(duckdb_warehouse, tmp_path, "leftovers")
    again.extract(charges("new", 2))
    again.normalize()
    assert dltquirks.holds_packages(folder), "normalized, not loaded: dlt 1.31's load/normalized"
    again.load()
    found = duckdb_warehouse.query("select id, version from staging.t order by id")
    assert found == [(1, "stale"), (2, "new")], "the dead run's rows loaded with the new"
    assert not dltquirks.holds_packages(folder) and not dltquirks.leftovers(again)

    again.extract(charges("stale again", 1))
    dltquirks.delete_working_folder(again)
    fresh = _pipeline(duckdb_warehouse, tmp_path, "leftovers")
    assert not dltquirks.leftovers(fresh)
    fresh.run(charges("newer", 2))
    assert duckdb_warehouse.query("select version from staging.t where id = 1") == [("stale",)]


def test_dlt_keeps_a_retyped_columns_old_precision(duckdb_warehouse, tmp_path):
    pipe = _pipeline(duckdb_warehouse, tmp_path, "retyped")
    decimal = {"a": {"data_type": "decimal", "precision": 10, "scale": 2}}
    pipe.run([{"id": 1, "a": "1.50"}], table_name="t", columns=decimal)
    text = {"a": {"data_type": "text"}}
    pipe.extract(dlt.resource([{"id": 2, "a": "x"}], name="t", columns=text))
    kept = pipe.default_schema.tables["t"]["columns"]["a"]
    assert (kept["data_type"], kept.get("precision"), kept.get("scale")) == ("text", 10, 2)

    dltquirks.forget_retyped_columns(pipe, [("t", text)])
    assert "a" not in pipe.default_schema.tables["t"]["columns"]
    pipe.extract(dlt.resource([{"id": 3, "a": "y"}], name="t", columns=text))
    taken = pipe.default_schema.tables["t"]["columns"]["a"]
    assert (taken["data_type"], taken.get("precision")) == ("text", None)


def test_dlt_refuses_a_load_that_leaves_out_a_column_it_made_not_null(duckdb_warehouse, tmp_path):
    pipe = _pipeline(duckdb_warehouse, tmp_path, "not_null")
    required = {"b": {"data_type": "text", "nullable": False}}
    pipe.run(pa.table({"id": [1], "b": ["x"]}), table_name="u", columns=required)
    with pytest.raises(PipelineStepFailed) as refused:
        pipe.extract(pa.table({"id": [2]}), table_name="u")
    assert dltquirks.one_line(refused.value) == (
        "Column 'b' is declared non-nullable but contains nulls"
    )
    assert "\n" in str(refused.value), "dlt repeats the error with its traceback"

    dltquirks.forget_retyped_columns(pipe, [("u", {"id": {"data_type": "bigint"}})])
    pipe.extract(pa.table({"id": [2]}), table_name="u")


def test_the_stored_stage_deduplication_hint_stays_unless_a_load_says_otherwise(
    duckdb_warehouse, tmp_path
):
    pipe = _pipeline(duckdb_warehouse, tmp_path, "dedup")

    def twice(key: int) -> Any:
        rows = [{"id": key, "v": "a"}, {"id": key, "v": "b"}]
        return dlt.resource(rows, name="d", write_disposition="merge", primary_key="id")

    skipping = twice(1)
    skipping.apply_hints(additional_table_hints={"x-stage-data-deduplicated": True})
    pipe.run(skipping)
    pipe.run(twice(2))  # an older build's stored hint: still skipping
    count = "select id, count(*) from staging.d group by id order by id"
    assert duckdb_warehouse.query(count) == [(1, 2), (2, 2)]

    pipe.run(dltquirks.dedupe_staged_rows(twice(3)))
    assert duckdb_warehouse.query(count)[-1] == (3, 1)


@pytest.mark.postgres
def test_a_schema_update_that_lost_a_race_is_the_terminal_context_of_the_failure(
    pg_database, tmp_path
):
    other = psycopg2.connect(pg_database)
    other.cursor().execute("create schema racing")  # another load, midway
    pipe = _pipeline(Warehouse(pg_database), tmp_path, "racing", dataset="racing")
    failures: list[BaseException] = []

    def load() -> None:
        try:
            pipe.run([{"id": 1}], table_name="t")
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    loading = threading.Thread(target=load)
    loading.start()
    for _ in range(1200):  # until dlt waits for the other transaction (a minute at most)
        if not loading.is_alive() or Warehouse(pg_database).query(WAITING) != [(0,)]:
            break
        time.sleep(0.05)
    assert loading.is_alive(), "dlt never waited for the other transaction"
    other.commit()
    other.close()
    loading.join(timeout=60)

    [failure] = failures
    assert isinstance(failure, PipelineStepFailed)
    assert isinstance(failure.__context__, SchemaUpdateTerminalError), "terminal, though a race"
    assert dltquirks.lost_schema_race(failure) is failure.__context__


@pytest.mark.postgres
def test_dlts_wrappers_keep_the_drivers_error_out_of_the_cause_chain(pg_database):
    con = psycopg2.connect(pg_database)
    con.autocommit = True
    con.cursor().execute("create table t (a int)")
    try:
        con.cursor().execute("create table t (a int)")
    except psycopg2.Error as exc:
        duplicate = exc
    wrapped = SchemaUpdateError.from_cause("stripe", ["t"], DatabaseTerminalException(duplicate))
    assert isinstance(wrapped, SchemaUpdateTerminalError)
    assert not collided(wrapped), "neither __cause__ nor __context__ leads to the driver"
    assert dltquirks.collided_in_load(wrapped)
    assert dltquirks.lost_schema_race(wrapped) is wrapped


@pytest.mark.postgres
def test_dlt_retries_adbcs_refusal_of_a_value_as_transient(pg_database, tmp_path):
    warehouse = Warehouse(pg_database)
    with warehouse.connect() as con:
        con.cursor().execute("create schema staging; create table staging.r (id text, n bigint)")
    refused = _parquet(tmp_path / "r.parquet", pa.table({"id": ["a"], "n": ["not a number"]}))
    resource = dlt.resource([refused], name="r", file_format="parquet")
    with pytest.raises(PipelineStepFailed) as failed:
        _pipeline(warehouse, tmp_path, "refused").run(resource)
    chain = _chain(failed.value)
    assert not any(isinstance(e, DestinationTerminalException) for e in chain)
    assert [type(e).__name__ for e in chain[1:]] == ["LoadClientJobRetry", "DataError"]
    assert type(chain[-1]).__module__.startswith("adbc_driver_manager")
    assert dltquirks.refused_for_good(failed.value)


def test_dlt_keeps_each_pipelines_state_as_a_compressed_document(duckdb_warehouse, tmp_path):
    pipe = _pipeline(duckdb_warehouse, tmp_path, "stateful")

    @dlt.resource(name="charges")
    def charges() -> Any:
        dlt.current.resource_state()["connector_state"] = {"created": 5}
        yield [{"id": 1}]

    pipe.run(dlt.source(name="stripe")(lambda: [charges])())
    state = dltquirks.stored_state(duckdb_warehouse, "stateful")
    assert state is not None
    resources = state["sources"]["stripe"]["resources"]
    assert resources == {"charges": {"connector_state": {"created": 5}}}
    assert dltquirks.stored_state(duckdb_warehouse, "never_ran") is None
