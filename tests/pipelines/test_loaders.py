from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.errors import LoadFailedError, LoadRefusedError
from pipelines.landing import RAW_HINTS
from pipelines.loaders import LOAD_ORDER, Loaders
from pipelines.spool import Spool
from warehouse.cursors import Cursor
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


def _load(loaders: Loaders, spools: list[Spool], cursors: dict[str, int] | None = None) -> dict:
    """What a batch does: its spools' rows, then the cursors ({integration: created})."""
    with loaders.writing(LOAD_ORDER):
        loaded = loaders.load(spools, LOAD_ORDER)
        loaders.commit_cursors(
            [Cursor(i, "charges", None, {"created": c}) for i, c in (cursors or {}).items()]
        )
    return loaded


def _cursors(warehouse: Warehouse, tmp_path: Path, *ids: str) -> dict:
    loaders = Loaders(warehouse, tmp_path / "elsewhere")
    with loaders.writing(()):
        return loaders.read_cursors(list(ids))


def _versions(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.query("select id, version from staging.stripe_charges"))


def _schemas(warehouse: Warehouse) -> set[str]:
    found = warehouse.query("select schema_name from information_schema.schemata")
    return {name for (name,) in found if name.split("_")[0] in LOAD_ORDER}


def test_load_merges_rows_and_commits_cursors_any_worker_reads(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    _load(loaders, [_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a")], {"int_a": 10})
    _load(loaders, [_spool(tmp_path, "s2", ["ch_2", "ch_3"], "b")], {"int_a": 20})
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "b", "ch_3": "b"}
    raw = warehouse.query("select count(*), count(distinct id) from raw.stripe_charges")
    assert raw == [(4, 3)], "raw keeps every version it was given"
    assert _cursors(warehouse, tmp_path, "int_a", "int_b") == {
        "int_a": {"charges": {"created": 20}}
    }, "read from the warehouse by a loader with another dlt folder; none for int_b"


def test_a_batch_of_integrations_costs_one_load_per_dataset_and_no_schema_each(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    spools = [
        _spool(tmp_path, f"s{n}", [f"ch_{n}a", f"ch_{n}b"], "a", venue=f"v{n}") for n in range(30)
    ]
    _load(loaders, spools, {f"int_{n}": n for n in range(30)})
    loads = warehouse.query("select count(*) from staging._dlt_loads")
    assert loads == [(1,)], "thirty integrations' staging rows went in one load"
    assert len(_versions(warehouse)) == 60
    schemas = _schemas(warehouse)
    more = [_spool(tmp_path, f"t{n}", [f"ch_{n}c"], "b", venue=f"w{n}") for n in range(30)]
    _load(loaders, more, {f"int_{n + 30}": n for n in range(30)})
    assert _schemas(warehouse) == schemas, "sixty integrations, the same schemas as thirty"
    assert not [n for n in schemas if "_load_" in n]
    assert len(_cursors(warehouse, tmp_path, *[f"int_{n}" for n in range(60)])) == 60


def test_raw_and_core_load_side_by_side_and_a_failure_stops_staging(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    first = _spool(tmp_path, "s1", ["ch_1"], "a")
    first.write("core", "charges", "payments", _rows(["ch_1"], "a"), HINTS)
    assert _load(loaders, [first], {"int_a": 10}) == {"raw": 1, "core": 1, "staging": 1}
    assert warehouse.query("select id, version from core.payments") == [("ch_1", "a")]

    broken = _spool(tmp_path, "s2", ["ch_2"], "b")
    # a core table whose key column is missing cannot merge: the core load fails
    broken.write("core", "charges", "payments", pa.table({"other": ["x"]}), HINTS)
    with pytest.raises(LoadFailedError, match="loading core failed"):
        _load(loaders, [broken], {"int_a": 20})
    assert _versions(warehouse) == {"ch_1": "a"}, "staging did not load after the failure"
    assert _cursors(warehouse, tmp_path, "int_a") == {"int_a": {"charges": {"created": 10}}}
    raw_ids = {row[0] for row in warehouse.query("select id from raw.stripe_charges")}
    assert raw_ids == {"ch_1", "ch_2"}, "raw, loading beside core, finished"
    assert not loaders.pipeline("core").has_pending_data, "the failed load left nothing"


def test_a_refused_load_is_a_refusal_and_leaves_nothing_to_load_later(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    _load(loaders, [_spool(tmp_path, "s1", ["ch_1"], "1")], {"int_a": 10})
    with warehouse.connect() as con:
        con.cursor().execute(
            "alter table staging.stripe_charges alter column version type bigint using version::bigint"
        )
    with pytest.raises(LoadRefusedError, match="loading staging failed") as refused:
        _load(loaders, [_spool(tmp_path, "s2", ["ch_2"], "not a number")], {"int_a": 20})
    assert "\n" not in str(refused.value)
    assert not Loaders(warehouse, tmp_path / "dlt").pipeline("staging").has_pending_data
    assert _cursors(warehouse, tmp_path, "int_a") == {"int_a": {"charges": {"created": 10}}}


def test_rows_of_one_key_spooled_twice_merge_into_one(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    spool = Spool(tmp_path / "s")
    spool.write("staging", "charges", "stripe_charges", _rows(["ch_1", "ch_2"], "a"), HINTS)
    spool.write("staging", "charges", "stripe_charges", _rows(["ch_1"], "a"), HINTS)
    _load(loaders, [spool], {"int_a": 10})
    rows = warehouse.query(
        "select id, count(*) from staging.stripe_charges group by id order by id"
    )
    assert rows == [("ch_1", 1), ("ch_2", 1)]


def test_tables_whose_specs_differ_per_venue_load_in_one_batch(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    plain = _spool(tmp_path, "s1", ["ch_1"], "a", venue="va")
    wider = Spool(tmp_path / "s2")
    rows = _rows(["ch_2"], "b", venue="vb").append_column("extra", pa.array([5]))
    wider.write("staging", "charges", "stripe_charges", rows, HINTS)
    _load(loaders, [plain, wider])
    found = warehouse.query("select id, version, extra from staging.stripe_charges order by id")
    assert found == [("ch_1", "a", None), ("ch_2", "b", 5)]


def test_loaded_data_files_are_deleted_and_the_rows_stay(tmp_path, warehouse):
    loaders = Loaders(warehouse, tmp_path / "dlt")
    _load(loaders, [_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a")], {"int_a": 10})
    _load(loaders, [_spool(tmp_path, "s2", ["ch_3"], "b")], {"int_a": 20})

    kept = [p.name for p in (tmp_path / "dlt").rglob("*") if p.suffix in (".parquet", ".gz")]
    assert kept == [], "dlt keeps no copy of what it loaded"
    assert _versions(warehouse) == {"ch_1": "a", "ch_2": "a", "ch_3": "b"}


def test_loads_in_a_writing_block_keep_the_warehouse_open_until_it_ends(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    loaders = Loaders(warehouse, tmp_path / "dlt")
    wal = warehouse.duckdb_path.with_name("wh.duckdb.wal")

    with loaders.writing(LOAD_ORDER):
        loaders.load([_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a")], LOAD_ORDER)
        loaders.load([_spool(tmp_path, "s2", ["ch_3"], "b")], LOAD_ORDER)
        loaders.commit_cursors([Cursor("int_a", "charges", None, {"created": 20})])
        assert loaders.read_cursors(["int_a"]) == {"int_a": {"charges": {"created": 20}}}
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


def test_raw_records_are_stored_with_the_warehouses_fast_compression(
    tmp_path, warehouse, monkeypatch
):
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")  # the test reads the job files
    loaders = Loaders(warehouse, tmp_path / "dlt")
    _load(loaders, [_spool(tmp_path, "s1", ["ch_1", "ch_2"], "a")])
    _load(loaders, [_spool(tmp_path, "s2", ["ch_3"], "b")])
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


# Run in a separate process: a batch of integrations b and c dies (as under SIGKILL) during its
# staging load, at argv[3]: "after-extract", once the package is in place and before dlt saved
# the pipeline's schema; "after-normalize", once the normalized package is in place; "after-copy",
# once its rows are copied into the staging dataset and before the merge; "after-commit", once a
# job's rows are in and before dlt noted the job as done.
_DIE_DURING_LOAD = """
import os, sys
from pathlib import Path
from dlt.common.storages.load_package import PackageStorage
from dlt.common.storages.load_storage import LoadStorage
from dlt.extract.storage import ExtractStorage
from dlt.load.load import Load
from tests.pipelines.test_loaders import _load, _spool
from pipelines.loaders import Loaders
from warehouse.destinations import Warehouse

create_followup_jobs = Load.create_followup_jobs
commit_normalized = LoadStorage.commit_new_load_package
save_transition = PackageStorage.save_pending_transition
commit_extracted = ExtractStorage.commit_new_load_package

def die_once_copied(self, load_id, state, job, schema):
    staging = self.initial_client_config.dataset_name == "staging"
    if staging and state == "completed" and job.job_file_info().table_name == "stripe_charges":
        os._exit(3)
    return create_followup_jobs(self, load_id, state, job, schema)

def die_once_committed(self, load_id, file_name, state, message):
    if "_staging" in self.storage.storage_path and file_name.startswith("stripe_charges."):
        os._exit(3)
    return save_transition(self, load_id, file_name, state, message)

def die_once_normalized(self, load_id):
    commit_normalized(self, load_id)
    if "_staging" in self.storage.storage_path:
        os._exit(3)

def die_once_extracted(self, load_id, schema):
    commit_extracted(self, load_id, schema)
    if "_staging" in self.storage.storage_path:
        os._exit(3)

when = sys.argv[3]
if when == "after-extract":
    ExtractStorage.commit_new_load_package = die_once_extracted
elif when == "after-copy":
    Load.create_followup_jobs = die_once_copied
elif when == "after-commit":
    PackageStorage.save_pending_transition = die_once_committed
else:
    LoadStorage.commit_new_load_package = die_once_normalized
tmp = Path(sys.argv[1])
batch = [
    _spool(tmp, "b1", ["ch_b1", "ch_b2"], "stale", venue="vb"),
    _spool(tmp, "c1", ["ch_c1"], "stale", venue="vc"),
]
_load(Loaders(Warehouse(sys.argv[2]), tmp / "dlt"), batch, {"int_b": 7, "int_c": 7})
"""


def _kill_batch(tmp_path: Path, warehouse: Warehouse, when: str) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", _DIE_DURING_LOAD, str(tmp_path), warehouse.url, when],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
    )
    assert dead.returncode == 3, dead.stderr


@pytest.mark.parametrize("when", ["after-extract", "after-normalize", "after-copy", "after-commit"])
def test_a_batch_killed_mid_load_moves_no_cursor_and_its_leftovers_never_load(
    tmp_path, warehouse, when
):
    _load(Loaders(warehouse, tmp_path / "dlt"), [_spool(tmp_path, "b0", ["ch_b1"], "old", "vb")])
    _kill_batch(tmp_path, warehouse, when)
    assert _cursors(warehouse, tmp_path, "int_b", "int_c") == {}, "no cursor moved"

    # another worker reads b and c again from the old cursors, and loads newer versions
    elsewhere = Loaders(warehouse, tmp_path / "other-home")
    newer = [
        _spool(tmp_path, "b2", ["ch_b1", "ch_b2"], "new", venue="vb"),
        _spool(tmp_path, "c2", ["ch_c1"], "new", venue="vc"),
    ]
    _load(elsewhere, newer, {"int_b": 8, "int_c": 8})
    # the dead worker comes back and loads something else: its leftovers are deleted, not loaded
    back = Loaders(warehouse, tmp_path / "dlt")
    _load(back, [_spool(tmp_path, "d1", ["ch_d1"], "d", venue="vd")], {"int_d": 1})
    assert not back.pipeline("staging").has_pending_data
    assert _versions(warehouse) == {"ch_b1": "new", "ch_b2": "new", "ch_c1": "new", "ch_d1": "d"}
    counted = warehouse.query("select count(*), count(distinct id) from staging.stripe_charges")
    assert counted == [(4, 4)], "every row once"
    assert _cursors(warehouse, tmp_path, "int_b", "int_c") == {
        "int_b": {"charges": {"created": 8}},
        "int_c": {"charges": {"created": 8}},
    }


_LOAD_AND_REPORT_TELEMETRY = """
import sys
from pathlib import Path
from dlt.common.runtime import anon_tracker
from pipelines.loaders import Loaders
from tests.pipelines.test_loaders import _load, _spool
from warehouse.destinations import Warehouse

tmp = Path(sys.argv[1])
_load(Loaders(Warehouse(sys.argv[2]), tmp / "dlt"), [_spool(tmp, "t1", ["ch_t1"], "t")])
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


@pytest.mark.postgres
def test_json_columns_made_jsonb_by_the_csv_copy_take_the_binary_copy(tmp_path, pg_database):
    warehouse = Warehouse(pg_database)
    with warehouse.connect() as con:  # as dlt's CSV copy made them: json typed as jsonb
        for schema in ("staging", "staging_staging"):
            con.cursor().execute(
                f"create schema {schema}; create table {schema}.stripe_charges"
                " (venue_id text not null, id text not null, version text, details jsonb)"
            )
    hints = {**HINTS, "columns": {"details": {"data_type": "json", "nullable": True}}}
    spool = Spool(tmp_path / "s")
    rows = _rows(["ch_1", "ch_2"], "a").append_column("details", pa.array(['{"a": 1}'] * 2))
    spool.write("staging", "charges", "stripe_charges", rows, hints)

    _load(Loaders(warehouse, tmp_path / "dlt"), [spool])

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
    loaders = Loaders(warehouse, tmp_path / "dlt")
    failures: list[BaseException] = []

    def load() -> None:
        try:
            _load(loaders, [_spool(tmp_path, "s", ["ch_1", "ch_2"], "a")])
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
    loaders = Loaders(Warehouse(f"duckdb:///{path}"), tmp_path / "d")

    with (
        pytest.raises(LoadFailedError, match=f"cannot open the warehouse {path}: "),
        loaders.writing(LOAD_ORDER),
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

    from pipelines.dltquirks import load_again_on_lost_race as _load_packages

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
