"""The dlt pipelines of this home: one per warehouse dataset, each loading the pages of many
integrations at once, in a safe order.

A batch of integrations costs one load per dataset, not one per integration: every spool's
files for a table are imported into one load package, as they are. Raw and core load side by
side, staging after them; the cursors of what loaded are committed last, in a transaction of
their own (see warehouse.cursors). A run that dies anywhere leaves the old cursors, so the next
run reads the same records again and the merges on (venue_id, id) make the repeat harmless.

What a dead run left in a pipeline's working folder is never loaded: the next load of that
dataset, holding its lock, deletes the folder. Loading it could write stale rows over newer
ones another worker loaded meanwhile, and its cursor was never committed anyway.

On PostgreSQL, the loads of one dataset wait for each other, from any machine (an advisory lock
per dataset): merges stage their rows in the dataset's one staging dataset, which each load
empties. On DuckDB, every load waits for the one before (one writer).
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dlt
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import dltquirks
from pipelines.dltquirks import one_line
from pipelines.errors import LoadFailedError, LoadRefusedError
from pipelines.spool import Spool, SpooledTable
from warehouse.cursors import (
    Cursor,
    commit_cursors,
    cursor_owners,
    forget_cursors,
    read_cursors,
)
from warehouse.destinations import INTEGRATION_ID, Warehouse
from warehouse.errors import WarehouseError
from warehouse.layout import COMPRESSED_HINT

log = logging.getLogger(__name__)

LOAD_ORDER = ("raw", "core", "staging", "ops")
SIDE_BY_SIDE = ("raw", "core")
PIPELINE_PREFIX = "intsync_"
# files of fewer rows than this on average are joined into one before dlt imports them
SMALL_FILE_ROWS = 5000


class Loaders:
    """The four dlt pipelines (raw, core, staging, ops) of this home's dlt folder."""

    def __init__(self, warehouse: Warehouse, dlt_dir: Path):
        self.warehouse = warehouse
        self.dlt_dir = dlt_dir
        self._pipelines: dict[str, Any] = {}
        self._connection: Any = None  # the connection of a `writing` block, on DuckDB
        # per dataset in that block: a cursor of it for intsync's own statements (raw and core
        # load at the same time, and one DuckDB connection runs one statement at a time)
        self._cursors: dict[str, Any] = {}

    @contextlib.contextmanager
    def writing(self, datasets: Sequence[str] = LOAD_ORDER) -> Iterator[None]:
        """Hold the write locks of these datasets for the loads in the block (on DuckDB the
        warehouse's one lock, with the warehouse open: see `Warehouse.writer`)."""
        with contextlib.ExitStack() as stack:
            # in one order, so that two blocks never wait for each other in turn
            scopes = [f"dataset {d}" for d in LOAD_ORDER if d in datasets]
            try:
                self._connection = stack.enter_context(self.warehouse.writing(scopes))
            except WarehouseError as exc:
                raise LoadFailedError(str(exc)) from exc
            # another process of this home may have loaded since: its pipelines are read anew
            self._pipelines.clear()
            try:
                yield
            finally:
                for cursor in self._cursors.values():
                    cursor.close()
                self._cursors.clear()
                self._connection = None

    @property
    def connection(self) -> Any:
        """The warehouse connection a `writing` block holds open on DuckDB (None otherwise)."""
        return self._connection

    def pipeline(self, dataset: str) -> Any:
        """The dlt pipeline writing `dataset`.

        Its connections are dlt's own, to the file's path. In a `writing` block they join the
        database the block holds open (DuckDB keeps one per file and process), so closing them
        does not checkpoint it. dlt is not handed the block's connection: it then looked up the
        connection's file at every resolution of its configuration."""
        if dataset not in self._pipelines:
            self._pipelines[dataset] = self._new_pipeline(dataset)
        if self._connection is not None and dataset not in self._cursors:
            self._cursors[dataset] = self._connection.cursor()
        return self._pipelines[dataset]

    def _new_pipeline(self, dataset: str) -> Any:
        return dlt.pipeline(  # type: ignore[call-overload]  # progress=None is dlt's default
            pipeline_name=f"{PIPELINE_PREFIX}{dataset}",
            destination=dltquirks.destination(self.warehouse),
            dataset_name=dataset,
            pipelines_dir=str(self.dlt_dir),
            progress="log" if log.isEnabledFor(logging.DEBUG) else None,
        )

    def read_cursors(self, integration_ids: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """The committed connector states of these integrations, by resource (in a `writing`
        block on DuckDB)."""
        try:
            return read_cursors(self.warehouse, integration_ids, self._connection)
        except Exception as exc:  # the driver's own error, or WarehouseError
            raise LoadFailedError(f"could not read sync state from the warehouse: {exc}") from exc

    def commit_cursors(self, cursors: Sequence[Cursor]) -> None:
        """Commit these states in one transaction, after their rows loaded (in the block)."""
        try:
            commit_cursors(self.warehouse, cursors, self._connection)
        except Exception as exc:
            raise LoadFailedError(f"could not commit the sync state: {one_line(exc)}") from exc

    def forget(self, integration_ids: Sequence[str]) -> None:
        """Delete the committed states of integrations that no longer exist."""
        forget_cursors(self.warehouse, integration_ids, self._connection)

    def load(self, spools: Sequence[Spool], datasets: Sequence[str] = LOAD_ORDER) -> dict[str, int]:
        """Load these spools' tables of `datasets` together, in load order, in the `writing`
        block of those datasets.

        Raw and core load side by side (separate pipelines and schemas, and the warehouse does
        the work outside the GIL); staging starts only once both are in. Returns rows loaded per
        dataset."""
        work = [d for d in LOAD_ORDER if d in datasets and _tables(spools, d)]
        loaded: dict[str, int] = {}
        for dataset in work:  # here, not in the loading threads: they only use their own
            self.pipeline(dataset)
        first = [d for d in work if d in SIDE_BY_SIDE]
        if len(first) > 1:
            with ThreadPoolExecutor(len(first), thread_name_prefix="intsync-load") as pool:
                futures = [pool.submit(self._load_one, d, spools) for d in first]
            for dataset, future in zip(first, futures, strict=True):
                loaded[dataset] = future.result()  # the first failure, once both have ended
        for dataset in work:
            if dataset not in loaded:
                loaded[dataset] = self._load_one(dataset, spools)
        return loaded

    def _load_one(self, dataset: str, spools: Sequence[Spool]) -> int:
        tables = _tables(spools, dataset)
        pipe = self._without_leftovers(dataset)
        connection = self._cursors.get(dataset)
        started = time.perf_counter()
        try:
            columns = [(t.table, t.hints.get("columns", {})) for t in tables]
            fixes = dltquirks.table_fixes(self.warehouse, dataset, [t for t, _ in columns])
            self.warehouse.prepare_tables(dataset, dict(columns), connection, fixes)
            dltquirks.forget_retyped_columns(pipe, columns)
            pipe.extract(_source(dataset, tables))
            extracted = time.perf_counter()
            pipe.normalize()
            normalized = time.perf_counter()
            dltquirks.load_again_on_lost_race(pipe)
        except Exception as exc:
            self._pipelines.pop(dataset, None)  # its working folder goes: see `_load_error`
            raise _load_error(pipe, exc, f"loading {dataset} failed") from exc
        rows = sum(t.rows for t in tables)
        log.debug(
            "%s: %d rows of %d tables loaded in %.2f s (extract %.2f, normalize %.2f, load %.2f)",
            pipe.pipeline_name,
            rows,
            len(tables),
            time.perf_counter() - started,
            extracted - started,
            normalized - extracted,
            time.perf_counter() - normalized,
        )
        return rows

    def _without_leftovers(self, dataset: str) -> Any:
        """The dataset's pipeline, its working folder deleted first when a run that died (or a
        load that failed) left packages in it: see the module's docstring."""
        pipe = self.pipeline(dataset)
        if not dltquirks.leftovers(pipe):
            return pipe
        log.warning(
            "%s: deleting the load packages an interrupted run left; their records are read "
            "again from the committed cursors",
            pipe.pipeline_name,
        )
        dltquirks.delete_working_folder(pipe)
        del self._pipelines[dataset]
        return self.pipeline(dataset)

    def forget_columns(self, dataset: str, table: str, columns: AbstractSet[str]) -> None:
        """Drop columns from the table in this pipeline's stored dlt schema (after the table
        was rebuilt without them, or with another type): see `dltquirks.forget_columns`."""
        dltquirks.forget_columns(self.pipeline(dataset), table, columns)


def _tables(spools: Sequence[Spool], dataset: str) -> list[SpooledTable]:
    return [spooled for spool in spools for spooled in spool.tables(dataset) if spooled.files]


def _source(dataset: str, tables: list[SpooledTable]) -> Any:
    """A dlt source with one resource per table (hints set once, not per batch): the files of
    every spool that wrote the table, grouped by file schema and hints (specs may differ per
    venue)."""
    groups: list[list[SpooledTable]] = []
    for spooled in tables:
        same = next((g for g in groups if _same_shape(g[0], spooled)), None)
        if same is None:
            groups.append([spooled])
        else:
            same.append(spooled)
    named: dict[str, int] = {}
    resources = []
    for group in groups:
        table = group[0].table
        named[table] = named.get(table, 0) + 1
        name = table if named[table] == 1 else f"{table}__{named[table]}"
        resources.append(_table_resource(name, group))

    def intsync_source() -> list[Any]:
        return resources

    return dlt.source(name=dataset, max_table_nesting=0)(intsync_source)()


def _same_shape(one: SpooledTable, other: SpooledTable) -> bool:
    if one.table != other.table or one.schema != other.schema:
        return False
    sort = orjson.OPT_SORT_KEYS
    return orjson.dumps(one.hints, option=sort) == orjson.dumps(other.hints, option=sort)


def _table_resource(name: str, group: list[SpooledTable]) -> Any:
    """The spooled Parquet files, imported into the load package as they are (dlt takes the
    table's columns from the empty table of the same schema); many small ones (a batch of
    integrations with a few new rows each) first made one, as dlt's import costs about 40 ms a
    file whatever its size."""
    first = group[0]
    assert first.schema is not None
    empty = first.schema.empty_table()
    files = [path for spooled in group for path in spooled.files]
    if len(files) > 1 and sum(s.rows for s in group) < SMALL_FILE_ROWS * len(files):
        files = [_joined(first, files)]

    def rows() -> Iterator[Any]:
        for path in files:
            count = pq.read_metadata(path).num_rows
            yield dlt.mark.with_file_import(str(path), "parquet", count, hints=empty)

    resource = dlt.resource(
        rows, name=name, table_name=first.table, file_format="parquet", **first.hints
    )
    # a batch spools each (venue_id, id) once, but a spec may key its table on another field
    return dltquirks.dedupe_staged_rows(resource)


def _joined(first: SpooledTable, files: list[Path]) -> Path:
    """One file with the rows of these (written beside the first table's, in its spool)."""
    joined = first.path.with_name(f"joined.{first.dataset}.{first.table}.{len(files)}.parquet")
    long_texts = {
        n for n, column in first.hints.get("columns", {}).items() if column.get(COMPRESSED_HINT)
    }
    assert first.schema is not None
    names = first.schema.names
    pq.write_table(
        pa.concat_tables(pq.read_table(path) for path in files),
        joined,
        compression="snappy",
        use_dictionary=[n for n in names if n not in long_texts] if long_texts else True,
    )
    return joined


def _load_error(pipe: Any, exc: Exception, what: str) -> LoadFailedError:
    """The error a failed load ends its run with, in one line; the load's packages are deleted
    with the pipeline's working folder (its local schema and state go with them).

    No cursor of the load's integrations moves, so the next run reads the same records again.
    A load the warehouse refused for good (a value its column type cannot take, a constraint, a
    schema change it will not make) is a LoadRefusedError: it would fail the same way on every
    later run, and a batch tries its integrations one by one to find whose rows it was."""
    reason = one_line(exc)
    dltquirks.delete_working_folder(pipe)
    if dltquirks.refused_for_good(exc):
        log.warning("%s: the warehouse refused the load: %s", pipe.pipeline_name, reason)
        return LoadRefusedError(f"{what}: {reason} (no cursor moved)")
    return LoadFailedError(f"{what}: {reason}")


def known_loaders(warehouse: Warehouse, dlt_dir: Path) -> set[str]:
    """The integrations the warehouse or `dlt_dir` keeps something of: a committed cursor, or
    the staging datasets and working folders of the loaders before one pipeline per dataset."""
    found = cursor_owners(warehouse) | set(warehouse.loader_datasets())
    return found | set(_working_folders(dlt_dir).values())


def discard_loaders(warehouse: Warehouse, dlt_dir: Path, integration_ids: set[str]) -> list[str]:
    """Forget integrations that no longer exist: their committed cursors, and the staging
    datasets and working folders of the loaders before one pipeline per dataset. The names of
    what went. Their rows in the warehouse's tables stay."""
    forget_cursors(warehouse, sorted(integration_ids))
    by_loader = warehouse.loader_datasets()
    datasets = sorted(d for i in integration_ids for d in by_loader.get(i, []))
    warehouse.drop_datasets(datasets)
    folders = sorted(f for f, i in _working_folders(dlt_dir).items() if i in integration_ids)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return datasets + [str(f) for f in folders]


def _working_folders(dlt_dir: Path) -> dict[Path, str]:
    """The working folders the loaders before one pipeline per dataset left under `dlt_dir`,
    each with its integration's id (they were named `intsync_<integration>_<dataset>`)."""
    if not dlt_dir.is_dir():
        return {}
    found = {}
    for folder in dlt_dir.iterdir():
        matched = _PIPELINE_FOLDER.fullmatch(folder.name)
        if matched and folder.is_dir():
            found[folder] = matched["loader"]
    return found


_PIPELINE_FOLDER = re.compile(
    rf"{PIPELINE_PREFIX}(?P<loader>{INTEGRATION_ID})_(?:{'|'.join(LOAD_ORDER)})"
)
