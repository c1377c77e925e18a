from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.errors import LoadFailedError
from pipelines.landing import RAW_HINTS
from pipelines.loaders import IntegrationLoaders
from pipelines.spool import Spool
from warehouse.destinations import Warehouse

HINTS = {"primary_key": ["venue_id", "id"], "write_disposition": "merge", "columns": {}}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_database"))


def _rows(ids: list[str], version: str, venue: str = "v1") -> pa.Table:
    return pa.table({"venue_id": [venue] * len(ids), "id": ids, "version": [version] * len(ids)})


def _spool(tmp_path: Path, name: str, ids: list[str], version: str, venue: str = "v1") -> Spool:
    spool = Spool(tmp_path / name)
    spool.write("staging", "charges", "stripe_charges", _rows(ids, version, venue), HINTS)
    raw = pa.table({"venue_id": [venue] * len(ids), "id": ids, "record": ["{}"] * len(ids)})
    spool.write("raw", "charges", "stripe_charges", raw, RAW_HINTS)
    return spool


def _versions(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.query("select id, version from staging.stripe_charges"))


def test_load_commits_rows_and_cursor_together(tmp_path, warehouse):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a"), {"charges": {"created": 10}})
    loaders.load(_spool(tmp_path, "s2", ["ch_2", "ch_3"], "b"), {"charges": {"created": 20}})
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "b", "ch_3": "b"}
    raw = warehouse.query("select count(*), count(distinct id) from raw.stripe_charges")
    assert raw == [(4, 3)], "raw keeps every version it was given"
    fresh = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "other-dlt-dir")
    assert fresh.cursor_states() == {"charges": {"created": 20}}, (
        "state is restored from the warehouse"
    )


def test_a_dead_run_is_finished_before_the_next_one_loads(tmp_path, warehouse):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    loaders.load(_spool(tmp_path, "s1", ["ch_1"], "a"), {"charges": {"created": 10}})
    # a run that died after extract and normalize, before load
    pipe = loaders.pipeline("staging")
    dead = _spool(tmp_path, "s2", ["ch_2"], "b")
    pipe.extract(loaders._source("staging", dead, {"charges": {"created": 20}}))
    pipe.normalize()
    assert pipe.has_pending_data

    again = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    assert again.finish_pending() == ["staging"]
    assert again.cursor_states() == {"charges": {"created": 20}}
    again.load(_spool(tmp_path, "s3", ["ch_3"], "c"), {"charges": {"created": 30}})
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "b", "ch_3": "c"}, "nothing skipped"


def test_a_resource_without_new_cursor_keeps_its_state(tmp_path, warehouse):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    loaders.load(_spool(tmp_path, "s1", ["ch_1"], "a"), {"charges": {"created": 10}})
    loaders.load(_spool(tmp_path, "s2", ["ch_1"], "b"), {"charges": None})
    assert loaders.cursor_states() == {"charges": {"created": 10}}
    assert _versions(warehouse) == {"ch_1": "b"}


def test_raw_and_core_load_side_by_side_and_a_failure_keeps_staging_and_its_cursor_back(
    tmp_path, warehouse
):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    first = _spool(tmp_path, "s1", ["ch_1"], "a")
    first.write("core", "charges", "payments", _rows(["ch_1"], "a"), HINTS)
    loaded = loaders.load(first, {"charges": {"created": 10}})
    assert loaded == {"raw": 1, "core": 1, "staging": 1}
    assert warehouse.query("select id, version from core.payments") == [("ch_1", "a")]

    broken = _spool(tmp_path, "s2", ["ch_2"], "b")
    # a core table whose key column is missing cannot merge: the core load fails
    broken.write("core", "charges", "payments", pa.table({"other": ["x"]}), HINTS)
    with pytest.raises(LoadFailedError, match="loading core failed"):
        loaders.load(broken, {"charges": {"created": 20}})
    assert _versions(warehouse) == {"ch_1": "a"}, "staging did not load after the failure"
    assert loaders.cursor_states() == {"charges": {"created": 10}}
    raw_ids = {row[0] for row in warehouse.query("select id from raw.stripe_charges")}
    assert raw_ids == {"ch_1", "ch_2"}, "raw, loading beside core, finished"


def test_rows_staged_twice_merge_into_one(tmp_path, warehouse):
    """A load job repeated after a kill stages its rows again: the merge still keeps one per key."""
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    spool = Spool(tmp_path / "s")
    spool.write("staging", "charges", "stripe_charges", _rows(["ch_1", "ch_2"], "a"), HINTS)
    spool.write("staging", "charges", "stripe_charges", _rows(["ch_1"], "a"), HINTS)
    loaders.load(spool, {"charges": {"created": 10}})
    rows = warehouse.query(
        "select id, count(*) from staging.stripe_charges group by id order by id"
    )
    assert rows == [("ch_1", 1), ("ch_2", 1)]


def test_loaded_data_files_are_deleted_and_the_rows_stay(tmp_path, warehouse):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a"), {"charges": {"created": 10}})
    loaders.load(_spool(tmp_path, "s2", ["ch_3"], "b"), {"charges": {"created": 20}})

    kept = [p.name for p in (tmp_path / "dlt").rglob("*") if p.suffix in (".parquet", ".gz")]
    assert kept == [], "dlt keeps no copy of what it loaded"
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "a", "ch_3": "b"}


def test_loads_in_a_writing_block_keep_the_warehouse_open_until_it_ends(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    wal = warehouse.duckdb_path.with_name("wh.duckdb.wal")

    with loaders.writing():
        loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a"), {"charges": {"created": 10}})
        loaders.load(_spool(tmp_path, "s2", ["ch_3"], "b"), {"charges": {"created": 20}})
        assert loaders.cursor_states() == {"charges": {"created": 20}}
        # the last close of a DuckDB database checkpoints it: none of dlt's closes was the last
        assert wal.exists(), "the loads' writes wait in the log for the block's end"

    assert not wal.exists(), "checkpointed once, when the block closed the warehouse"
    # closed with the block: another process can open the file
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; duckdb.connect({str(warehouse.duckdb_path)!r}).close()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "a", "ch_3": "b"}
    assert loaders.cursor_states() == {"charges": {"created": 20}}, "and loads go on without it"


def test_raw_records_are_stored_with_the_warehouses_fast_compression(
    tmp_path, warehouse, monkeypatch
):
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")  # the test reads the job files
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a"), {"charges": {"created": 10}})
    loaders.load(_spool(tmp_path, "s2", ["ch_3"], "b"), {"charges": {"created": 20}})
    if warehouse.kind == "duckdb":
        compressions = warehouse.query(
            "select distinct compression from pragma_storage_info('raw.stripe_charges')"
            " where column_name = 'record' and segment_type = 'VARCHAR'"
        )
        assert compressions == [("ZSTD",)]
    else:
        method = warehouse.query(
            "select attcompression from pg_attribute"
            " where attrelid = 'raw.stripe_charges'::regclass and attname = 'record'"
        )
        assert method == [("l",)], "lz4"
        # copied as Parquet through ADBC, not rewritten as CSV by dlt (its fallback)
        pipe = loaders.pipeline("raw")
        formats = {
            job.job_file_info.file_format
            for load_id in pipe.list_completed_load_packages()
            for job in pipe.get_load_package_info(load_id).jobs["completed_jobs"]
            if job.job_file_info.table_name == "stripe_charges"
        }
        assert formats == {"parquet"}
    assert warehouse.query("select count(*) from raw.stripe_charges where record = '{}'") == [(3,)]
    nullable = warehouse.query(
        "select column_name, is_nullable from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'stripe_charges'"
        " and column_name in ('id', 'record') order by 1"
    )
    assert nullable == [("id", "NO"), ("record", "YES")]


# Run in a separate process: integration B's staging load dies (as under SIGKILL) at argv[3]:
# "after-copy", once its rows are copied into the staging dataset and before the merge; or
# "after-state", once its state row is committed and before dlt has noted that job as done;
# "after-normalize", once its normalized package is in place and before the extracted one is gone.
_DIE_DURING_LOAD = """
import os, sys
from pathlib import Path
from dlt.destinations.insert_job_client import InsertValuesLoadJob
from dlt.common.storages.load_package import PackageStorage
from dlt.common.storages.load_storage import LoadStorage
from dlt.load.load import Load
from pipelines.loaders import IntegrationLoaders
from tests.pipelines.test_loaders import _spool
from warehouse.destinations import Warehouse

create_followup_jobs = Load.create_followup_jobs
insert = InsertValuesLoadJob.run

def die_once_copied(self, load_id, state, job, schema):
    staging = self.initial_client_config.dataset_name == "staging"
    if staging and state == "completed" and job.job_file_info().table_name == "stripe_charges":
        os._exit(3)
    return create_followup_jobs(self, load_id, state, job, schema)

def die_once_state_written(self):
    insert(self)
    staging = self._job_client.sql_client.dataset_name == "staging"
    if staging and self.load_table_name == "_dlt_pipeline_state":
        os._exit(3)

commit_normalized = LoadStorage.commit_new_load_package
save_transition = PackageStorage.save_pending_transition

def die_once_committed(self, load_id, file_name, state, message):
    # the job's rows are in, and dlt has not yet noted it: resuming runs the job again
    if "_staging" in self.storage.storage_path and file_name.startswith("stripe_charges."):
        os._exit(3)
    return save_transition(self, load_id, file_name, state, message)

def die_once_normalized(self, load_id):
    commit_normalized(self, load_id)
    if "_staging" in self.storage.storage_path:
        os._exit(3)

from dlt.extract.storage import ExtractStorage

commit_extracted = ExtractStorage.commit_new_load_package

def die_once_extracted(self, load_id, schema):
    # the package is in place, and the pipeline's schema and state are not saved yet
    commit_extracted(self, load_id, schema)
    if "_staging" in self.storage.storage_path:
        os._exit(3)

if sys.argv[3] == "after-extract":
    ExtractStorage.commit_new_load_package = die_once_extracted
elif sys.argv[3] == "after-copy":
    Load.create_followup_jobs = die_once_copied
elif sys.argv[3] == "after-commit":
    PackageStorage.save_pending_transition = die_once_committed
elif sys.argv[3] == "after-state":
    InsertValuesLoadJob.run = die_once_state_written
else:
    LoadStorage.commit_new_load_package = die_once_normalized
tmp = Path(sys.argv[1])
venue = sys.argv[4] or None  # given: its first load appends
loaders = IntegrationLoaders("int_b", "stripe", Warehouse(sys.argv[2]), tmp / "dlt", venue)
loaders.load(_spool(tmp, "b1", ["ch_b1", "ch_b2"], "b", venue="vb"), {"charges": {"created": 7}})
"""


def _kill_int_b(tmp_path: Path, warehouse: Warehouse, when: str, venue: str = "") -> None:
    dead = subprocess.run(
        [sys.executable, "-c", _DIE_DURING_LOAD, str(tmp_path), warehouse.url, when, venue],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
    )
    assert dead.returncode == 3, dead.stderr


def test_a_load_killed_between_copy_and_merge_keeps_its_rows_when_another_integration_loads_first(
    tmp_path, warehouse
):
    _kill_int_b(tmp_path, warehouse, "after-copy")
    other = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    other.finish_pending()
    other.load(_spool(tmp_path, "a1", ["ch_a1"], "a", venue="va"), {"charges": {"created": 9}})

    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt")
    assert resumed.finish_pending() == ["staging"]
    assert resumed.cursor_states() == {"charges": {"created": 7}}
    assert _versions(warehouse) == {"ch_a1": "a", "ch_b1": "b", "ch_b2": "b"}, (
        "the cursor moved, so its rows are in"
    )
    left = warehouse.query("select count(*) from staging_load_int_b.stripe_charges")
    assert left == [(0,)], "a loader's staged copy is emptied once its load is in"


def test_a_load_killed_once_its_state_row_is_written_finishes_when_run_again(tmp_path, warehouse):
    _kill_int_b(tmp_path, warehouse, "after-state")
    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt")
    assert resumed.finish_pending() == ["staging"], "the repeated state row is taken"
    assert resumed.cursor_states() == {"charges": {"created": 7}}
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "b"}
    resumed.load(_spool(tmp_path, "b2", ["ch_b3"], "c", venue="vb"), {"charges": {"created": 8}})
    fresh = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "other-dlt")
    assert fresh.cursor_states() == {"charges": {"created": 8}}, "the newest state is restored"


def _disposition(loaders: IntegrationLoaders, dataset: str, table: str) -> str:
    return loaders.pipeline(dataset).default_schema.tables[table]["write_disposition"]


def _first_load(warehouse: Warehouse) -> str:
    """How a first load goes: appended on DuckDB, merged on PostgreSQL (which takes loads at
    once, so two could each find the table empty)."""
    return "append" if warehouse.kind == "duckdb" else "merge"


def test_a_first_load_of_a_venue_appends_and_the_next_merges(tmp_path, warehouse):
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt", "v1")
    loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a"), {"charges": {"created": 10}})
    assert _disposition(loaders, "staging", "stripe_charges") == _first_load(warehouse)
    loaders.load(_spool(tmp_path, "s2", ["ch_2", "ch_3"], "b"), {"charges": {"created": 20}})
    assert _disposition(loaders, "staging", "stripe_charges") == "merge"
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "b", "ch_3": "b"}
    rows = warehouse.query("select count(*) from staging.stripe_charges")
    assert rows == [(3,)], "one row per (venue_id, id)"


def test_a_venue_appends_beside_other_venues_rows_and_merges_once_it_has_its_own(
    tmp_path, warehouse
):
    first = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt", "va")
    first.load(_spool(tmp_path, "a1", ["ch_1"], "a", venue="va"), {})
    other = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt", "vb")
    other.load(_spool(tmp_path, "b1", ["ch_1", "ch_2"], "b", venue="vb"), {})
    assert _disposition(other, "staging", "stripe_charges") == _first_load(warehouse)
    # a new integration of a venue that has rows (a reconnected account, say) merges into them
    again = IntegrationLoaders("int_c", "stripe", warehouse, tmp_path / "dlt", "vb")
    again.load(_spool(tmp_path, "c1", ["ch_2"], "c", venue="vb"), {})
    assert _disposition(again, "staging", "stripe_charges") == "merge"
    rows = warehouse.query(
        "select venue_id, id, version from staging.stripe_charges order by venue_id, id"
    )
    assert rows == [("va", "ch_1", "a"), ("vb", "ch_1", "b"), ("vb", "ch_2", "c")]


def test_a_first_load_whose_keys_repeat_merges(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt", "v1")
    loaders.load(_spool(tmp_path, "s1", ["ch_1", "ch_1", "ch_2"], "a"), {})
    assert _disposition(loaders, "staging", "stripe_charges") == "merge"
    assert warehouse.query("select count(*) from staging.stripe_charges") == [(2,)]


def test_a_first_load_killed_after_a_job_committed_drops_the_rows_its_repeat_loads_again(
    tmp_path, caplog
):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    _kill_int_b(tmp_path, warehouse, "after-commit", venue="vb")
    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt", "vb")
    with caplog.at_level("WARNING", logger="pipelines.loaders"):
        assert resumed.finish_pending() == ["staging"]
    assert "staging.stripe_charges: dropped 2 rows the resumed first load repeated" in caplog.text
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "b"}
    assert warehouse.query("select count(*) from staging.stripe_charges") == [(2,)]
    assert resumed.cursor_states() == {"charges": {"created": 7}}
    resumed.load(_spool(tmp_path, "b2", ["ch_b2", "ch_b3"], "c", venue="vb"), {})
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "c", "ch_b3": "c"}


def test_repeats_a_run_died_before_dropping_are_dropped_by_the_next(tmp_path, monkeypatch):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    _kill_int_b(tmp_path, warehouse, "after-commit", venue="vb")
    dying = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt", "vb")

    def die(*args: object, **kwargs: object) -> int:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(Warehouse, "drop_repeated_rows", die)
        with pytest.raises(LoadFailedError, match="could not drop the rows"):
            dying.finish_pending()
    assert warehouse.query("select count(*) from staging.stripe_charges") == [(4,)]
    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt", "vb")
    assert resumed.finish_pending() == [], "nothing was left to load"
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "b"}
    assert warehouse.query("select count(*) from staging.stripe_charges") == [(2,)]


_LOAD_AND_REPORT_TELEMETRY = """
import sys
from pathlib import Path
from dlt.common.runtime import anon_tracker
from pipelines.loaders import IntegrationLoaders
from tests.pipelines.test_loaders import _spool
from warehouse.destinations import Warehouse

tmp = Path(sys.argv[1])
loaders = IntegrationLoaders("int_t", "stripe", Warehouse(sys.argv[2]), tmp / "dlt")
loaders.load(_spool(tmp, "t1", ["ch_t1"], "t"), {"charges": {"created": 1}})
print(anon_tracker._ANON_TRACKER_ENDPOINT, anon_tracker._THREAD_POOL)
"""


def test_loads_send_nothing_to_dlts_telemetry_service(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNTIME__")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_AND_REPORT_TELEMETRY,
            str(tmp_path),
            f"duckdb:///{tmp_path / 'wh.duckdb'}",
        ],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None"], "no telemetry endpoint, no sender thread"


def test_a_load_killed_once_normalized_and_before_its_extracted_copy_went_finishes(
    tmp_path, warehouse
):
    _kill_int_b(tmp_path, warehouse, "after-normalize")
    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt")
    assert resumed.finish_pending() == ["staging"]
    assert not resumed.pipeline("staging").has_pending_data
    assert resumed.cursor_states() == {"charges": {"created": 7}}
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "b"}


def test_a_first_extract_killed_before_dlt_recorded_it_is_dropped_and_loaded_anew(
    tmp_path, warehouse
):
    _kill_int_b(tmp_path, warehouse, "after-extract")
    resumed = IntegrationLoaders("int_b", "stripe", warehouse, tmp_path / "dlt")
    assert resumed.finish_pending() == [], "nothing recorded, nothing to finish"
    assert not resumed.pipeline("staging").has_pending_data
    assert resumed.cursor_states() == {}, "the cursor never moved: the next read brings it all"
    resumed.load(_spool(tmp_path, "b2", ["ch_b1", "ch_b2"], "b", venue="vb"), {"charges": {"c": 7}})
    assert _versions(warehouse) == {"ch_b1": "b", "ch_b2": "b"}


@pytest.mark.postgres
def test_json_columns_made_jsonb_by_the_csv_copy_take_the_binary_copy(tmp_path, pg_database):
    warehouse = Warehouse(pg_database)
    with warehouse.connect() as con:  # as dlt's CSV copy made them: json typed as jsonb
        for schema in ("staging", "staging_load_int_a"):
            con.cursor().execute(
                f"create schema {schema}; create table {schema}.stripe_charges"
                " (venue_id text not null, id text not null, version text, details jsonb)"
            )
    hints = {**HINTS, "columns": {"details": {"data_type": "json", "nullable": True}}}
    spool = Spool(tmp_path / "s")
    rows = _rows(["ch_1", "ch_2"], "a").append_column("details", pa.array(['{"a": 1}'] * 2))
    spool.write("staging", "charges", "stripe_charges", rows, hints)

    IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt").load(
        spool, {"charges": {"created": 1}}
    )

    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "a"}
    assert set(_column_types(warehouse, "details").values()) == {"json"}
    assert warehouse.query("select details->>'a' from staging.stripe_charges") == [("1",), ("1",)]


@pytest.mark.postgres
@pytest.mark.parametrize("dataset", ["raw", "staging"])  # created by intsync, by dlt
def test_a_load_that_collides_with_another_creating_its_tables_loads_again(
    tmp_path, pg_database, dataset, caplog
):
    """Another venue's load creating the same schema at the same moment: PostgreSQL makes the
    later CREATE wait for the earlier transaction, then fails it on the catalog's unique index
    (an error dlt calls terminal); the load is tried again and finds the schema made."""
    import threading

    import psycopg2

    warehouse = Warehouse(pg_database)
    other = psycopg2.connect(pg_database)
    other.cursor().execute(f"create schema {dataset}")  # uncommitted: another load, midway
    loaders = IntegrationLoaders("int_a", "stripe", warehouse, tmp_path / "dlt")
    failures: list[BaseException] = []

    def load() -> None:
        try:
            loaders.load(_spool(tmp_path, "s", ["ch_1", "ch_2"], "a"), {"charges": {"c": 1}})
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    caplog.set_level(logging.INFO)
    loading = threading.Thread(target=load)
    loading.start()
    waiting = (
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and wait_event_type = 'Lock' and pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 60
    while warehouse.query(waiting) == [(0,)] and loading.is_alive():
        assert time.monotonic() < deadline, "the load never waited for the other transaction"
        time.sleep(0.05)
    other.commit()
    other.close()
    loading.join(timeout=120)

    assert failures == []
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "a"}
    assert warehouse.query("select count(*) from raw.stripe_charges") == [(2,)]
    tried_again = [r.getMessage() for r in caplog.records if "venue's load" in r.getMessage()]
    assert len(tried_again) == 1 and "pg_namespace_nspname_index" in tried_again[0]


def _column_types(warehouse: Warehouse, column: str) -> dict[str, str]:
    rows = warehouse.query(
        "select table_schema, data_type from information_schema.columns"
        " where table_name = 'stripe_charges' and column_name = %s",
        (column,),
    )
    return dict(rows)


def test_a_warehouse_that_cannot_be_opened_fails_the_load_with_its_reason(tmp_path):
    path = tmp_path / "wh.duckdb"
    path.write_bytes(b"not a database, though named like one" * 200)
    loaders = IntegrationLoaders("int_a", "stripe", Warehouse(f"duckdb:///{path}"), tmp_path / "d")

    with (
        pytest.raises(LoadFailedError, match=f"cannot open the warehouse {path}: "),
        loaders.writing(),
    ):
        pass


class _RacingPipeline:
    """A dlt pipeline whose first loads fail as one that lost a schema-update race does."""

    pipeline_name = "racing"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.loads = 0

    def load(self) -> None:
        self.loads += 1
        if self.failures:
            raise self.failures.pop(0)


def test_a_load_whose_schema_update_lost_a_race_is_loaded_again():
    from dlt.common.destination.exceptions import SchemaUpdateError, SchemaUpdateTerminalError

    from pipelines.loaders import _load_packages

    race = SchemaUpdateError("stripe", ["payments"], RuntimeError("relation already exists"))
    pipe = _RacingPipeline([race, race])
    _load_packages(pipe)
    assert pipe.loads == 3
    other = _RacingPipeline([RuntimeError("disk full")])
    with pytest.raises(RuntimeError, match="disk full"):
        _load_packages(other)
    assert other.loads == 1, "only a lost race is loaded again"
    refused = SchemaUpdateTerminalError("stripe", ["payments"], RuntimeError("permission denied"))
    denied = _RacingPipeline([refused])
    with pytest.raises(SchemaUpdateTerminalError):
        _load_packages(denied)
    assert denied.loads == 1, "a refusal is no race"
