"""The dlt pipelines of one integration: one per warehouse dataset, loaded in a safe order.

The staging pipeline carries the connector cursors in dlt resource state, committed in the same
load as the staging rows. Raw and core load before it: a run's raw records and core rows are in
the warehouse before its cursor moves, so a run that dies anywhere is repeated from the old cursor
and the merges on (venue_id, id) make the repeat harmless. Ops (sync logs, quarantine) loads
after, in one go with the run's final log entries.

The spooled Parquet files are imported into dlt's load packages as they are. Loading staging
beside raw and core was tried and measured slower: the three merges competed for two cores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dlt
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    SchemaUpdateError,
    SchemaUpdateTerminalError,
)

from pipelines.errors import LoadFailedError, LoadRefusedError
from pipelines.spool import Spool, SpooledTable
from warehouse.destinations import INTEGRATION_ID, Warehouse, again_on_collision, collided
from warehouse.errors import WarehouseError

log = logging.getLogger(__name__)

LOAD_ORDER = ("raw", "core", "staging", "ops")
# marks a merge table whose rows a load appended (it held none of the venue's): see `_appends`
FIRST_LOAD_HINT = "x-intsync-first-load"
# in a pipeline's working folder: the first-loaded tables whose repeated rows are still to drop
REPEATS_OWED = "intsync-repeats-owed.json"
SIDE_BY_SIDE = ("raw", "core")
STATE_KEY = "connector_state"
PIPELINE_PREFIX = "intsync_"


class IntegrationLoaders:
    """The four dlt pipelines (raw, core, ops, staging) of one integration."""

    def __init__(
        self,
        integration_id: str,
        provider: str,
        warehouse: Warehouse,
        dlt_dir: Path,
        venue_id: str | None = None,
    ):
        self.integration_id = integration_id
        self.provider = provider
        # the venue whose rows the loads carry: known, a first load appends (see `_appends`)
        self.venue_id = venue_id
        self.warehouse = warehouse
        self.dlt_dir = dlt_dir
        self._pipelines: dict[str, Any] = {}
        self._connection: Any = None  # the connection of a `writing` block, on DuckDB
        # per dataset in that block: a cursor of it for intsync's own statements (raw and core
        # load at the same time, and one DuckDB connection runs one statement at a time)
        self._cursors: dict[str, Any] = {}

    @classmethod
    def of(cls, integration: Any, warehouse: Warehouse, dlt_dir: Path) -> IntegrationLoaders:
        """The loaders of an integration (a store record: id, provider, venue_id)."""
        return cls(integration.id, integration.provider, warehouse, dlt_dir, integration.venue_id)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the warehouse's write lock for the loads in the block (on PostgreSQL, the
        venue's), and on DuckDB the warehouse open (see `Warehouse.writer`)."""
        with contextlib.ExitStack() as stack:
            try:
                scope = self.venue_id or self.integration_id
                self._connection = stack.enter_context(self.warehouse.writer(scope))
            except WarehouseError as exc:
                raise LoadFailedError(str(exc)) from exc
            try:
                yield
            finally:
                for cursor in self._cursors.values():
                    cursor.close()
                self._cursors.clear()
                self._connection = None

    def pipeline(self, dataset: str) -> Any:
        """The dlt pipeline writing `dataset` for this integration.

        Its connections are dlt's own, to the file's path. In a `writing` block they join the
        database the block holds open (DuckDB keeps one per file and process), so closing them
        does not checkpoint it. dlt is not handed the block's connection: it then looked up the
        connection's file at every resolution of its configuration, 134 times (0.26 s) in an
        incremental sync."""
        if dataset not in self._pipelines:
            self._pipelines[dataset] = self._new_pipeline(dataset)
        if self._connection is not None and dataset not in self._cursors:
            self._cursors[dataset] = self._connection.cursor()
        return self._pipelines[dataset]

    def _new_pipeline(self, dataset: str) -> Any:
        return dlt.pipeline(  # type: ignore[call-overload]  # progress=None is dlt's default
            pipeline_name=f"{PIPELINE_PREFIX}{self.integration_id}_{dataset}",
            destination=self.warehouse.destination(loader=self.integration_id),
            dataset_name=dataset,
            pipelines_dir=str(self.dlt_dir),
            progress="log" if log.isEnabledFor(logging.DEBUG) else None,
        )

    def finish_pending(self) -> list[str]:
        """Load what a dead run left behind, in load order, before anything new is extracted.

        dlt would otherwise load the leftovers in place of the next run's data, or drop them.
        """
        finished = []
        for dataset in LOAD_ORDER:
            pipe = self.pipeline(dataset)
            owed = Path(pipe.working_dir) / REPEATS_OWED
            _drop_packages_of_unrecorded_extract(pipe)
            if not pipe.has_pending_data:
                if owed.exists():  # a run died between finishing a load and its clean-up
                    self._drop_repeats(dataset, pipe, owed)
                continue
            log.warning(
                "finishing load packages left by an interrupted run of %s", pipe.pipeline_name
            )
            try:
                # the dead run's jobs that committed before it died run again, state row too
                self.warehouse.allow_repeated_state_rows(dataset)
                _drop_extracted_copies_of_normalized(pipe)
                if pipe.list_extracted_load_packages():
                    pipe.normalize()
                appended = _first_loaded_tables(pipe)
                if appended:  # noted before loading, so that a death after still cleans up
                    _write_atomically(owed, orjson.dumps(sorted(appended)))
                _load_packages(pipe)
            except Exception as exc:  # dlt raises PipelineStepFailed with the cause inside
                # the packages failed before, in the run that made them, and again now: they
                # are abandoned (their records are read again from the committed cursor)
                _abandon(pipe, exc, f"could not finish the interrupted load of {dataset}")
                if owed.exists():  # jobs of it that committed may have appended twice
                    self._drop_repeats(dataset, pipe, owed)
                continue
            if owed.exists():
                self._drop_repeats(dataset, pipe, owed)
            finished.append(dataset)
        return finished

    def cursor_states(self) -> dict[str, dict[str, Any]]:
        """Each resource's committed connector state, restored from the warehouse when needed."""
        pipe = self.pipeline("staging")
        try:
            pipe.sync_destination()
        except Exception as exc:
            raise LoadFailedError(f"could not read sync state from the warehouse: {exc}") from exc
        resources = pipe.state.get("sources", {}).get(self.provider, {}).get("resources", {})
        return {name: dict(value.get(STATE_KEY) or {}) for name, value in resources.items()}

    def load(
        self,
        spool: Spool,
        states: Mapping[str, dict[str, Any] | None],
        datasets: tuple[str, ...] = LOAD_ORDER,
    ) -> dict[str, int]:
        """Load the spooled datasets in load order; staging commits the new cursors.

        Raw and core load side by side (separate pipelines and schemas, and the warehouse does
        the work outside the GIL); staging starts only once both are in, so a cursor never moves
        ahead of them. `states` maps each resource that should commit a new cursor to its state
        (None: keep). Returns rows loaded per dataset.
        """
        commits = {r: s for r, s in states.items() if s} if "staging" in datasets else {}
        work = [
            d
            for d in LOAD_ORDER
            if d in datasets and (spool.tables(d) or (d == "staging" and commits))
        ]
        loaded: dict[str, int] = {}
        for dataset in work:  # here, not in the loading threads: they only use their own
            self.pipeline(dataset)
        first = [d for d in work if d in SIDE_BY_SIDE]
        if len(first) > 1:
            with ThreadPoolExecutor(len(first), thread_name_prefix="intsync-load") as pool:
                futures = [pool.submit(self._load_one, d, spool, {}) for d in first]
            for dataset, future in zip(first, futures, strict=True):
                loaded[dataset] = future.result()  # the first failure, once both have ended
        for dataset in work:
            if dataset not in loaded:
                loaded[dataset] = self._load_one(
                    dataset, spool, commits if dataset == "staging" else {}
                )
        return loaded

    def _load_one(
        self, dataset: str, spool: Spool, states: Mapping[str, dict[str, Any] | None]
    ) -> int:
        pipe = self.pipeline(dataset)
        connection = self._cursors.get(dataset)
        started = time.perf_counter()
        try:
            self.warehouse.prepare_tables(
                dataset,
                {t.table: t.hints.get("columns", {}) for t in spool.tables(dataset)},
                connection,
            )
            _forget_retyped_columns(pipe, spool.tables(dataset))
            source = self._source(dataset, spool, states, self._appends(dataset, spool, connection))
            pipe.extract(source)
            extracted = time.perf_counter()
            pipe.normalize()
            normalized = time.perf_counter()
            _load_packages(pipe)
        except Exception as exc:
            raise _load_error(pipe, exc, f"loading {dataset} failed") from exc
        rows = sum(t.rows for t in spool.tables(dataset))
        log.debug(
            "%s: %d rows loaded in %.2f s (extract %.2f s, normalize %.2f s, load %.2f s)",
            pipe.pipeline_name,
            rows,
            time.perf_counter() - started,
            extracted - started,
            normalized - extracted,
            time.perf_counter() - normalized,
        )
        return rows

    def forget_columns(self, dataset: str, table: str, columns: AbstractSet[str]) -> None:
        """Drop columns from the table in this pipeline's stored dlt schema (after the table
        was rebuilt without them, or with another type): dlt would otherwise add a dropped
        column back at its next load, and keep a changed one's old precision."""
        pipe = self.pipeline(dataset)
        if pipe.default_schema_name is None:
            return
        schema = pipe.default_schema
        stored = schema.tables.get(table, {}).get("columns", {})
        if any(stored.pop(name, None) is not None for name in list(columns)):
            pipe.schemas.save_schema(schema)

    def _appends(self, dataset: str, spool: Spool, connection: Any) -> set[str]:
        """The merge tables of `dataset` to append to instead, on DuckDB: those holding no row
        of the venue (of the provider too, where the key has it), as on a first sync, and
        whose spooled rows repeat no key.

        Appending then gives what merging would, without staging the rows and merging them in
        (on a first sync of 200,000 charges the merges of core and staging took 2.3 s of 9.2 s
        of loading). The one case in which appending differs is a load job repeated after a
        kill: `finish_pending` then drops the repeated rows."""
        if self.venue_id is None or self.warehouse.kind != "duckdb":
            return set()  # PostgreSQL tables have no indexes: the check would scan them
        appends = set()
        for spooled in spool.tables(dataset):
            key = spooled.hints.get("primary_key") or []
            if spooled.hints.get("write_disposition") != "merge" or "venue_id" not in key:
                continue
            scope = self._scope(key)
            if not self.warehouse.holds_rows(
                dataset, spooled.table, scope, connection
            ) and _keys_unique(spooled, key):
                appends.add(spooled.table)
        return appends

    def _scope(self, key: list[str]) -> dict[str, str]:
        """The columns of a key whose value every row of this loader has."""
        values = {"venue_id": self.venue_id, "provider": self.provider}
        return {column: value for column in key if (value := values.get(column)) is not None}

    def _drop_repeats(self, dataset: str, pipe: Any, owed: Path) -> None:
        """In each table a finished load appended to as a first load (listed in `owed`), a job
        that committed just before the kill ran again: drop the rows it repeated, then `owed`."""
        try:
            for name in orjson.loads(owed.read_bytes()):
                table = pipe.default_schema.tables.get(name, {})
                columns = table.get("columns", {})
                key = [c for c, column in columns.items() if column.get("primary_key")]
                dropped = self.warehouse.drop_repeated_rows(
                    dataset, name, key, self._scope(key), self._cursors.get(dataset)
                )
                if dropped:
                    log.warning(
                        "%s.%s: dropped %d rows the resumed first load repeated",
                        dataset,
                        name,
                        dropped,
                    )
        except Exception as exc:
            raise LoadFailedError(
                f"could not drop the rows a resumed load of {dataset} repeated: {exc}"
            ) from exc
        owed.unlink()

    def _source(
        self,
        dataset: str,
        spool: Spool,
        states: Mapping[str, dict[str, Any] | None],
        appends: AbstractSet[str] = frozenset(),
    ) -> Any:
        """A dlt source with one resource per spooled table (hints set once, not per batch),
        plus one state-only resource per provider resource whose cursor moves."""
        resources = [
            _table_resource(spooled, spooled.table in appends) for spooled in spool.tables(dataset)
        ]
        resources += [_state_resource(name, state) for name, state in states.items() if state]

        def intsync_source() -> list[Any]:
            return resources

        return dlt.source(name=self.provider, max_table_nesting=0)(intsync_source)()


def _load_packages(pipe: Any) -> None:
    """`pipe.load()`, again when its schema update lost a race: on PostgreSQL, loads of other
    venues may create the same tables or columns at the same time, and dlt then fails the
    update; loading again reads the warehouse anew and applies only what is still missing."""
    again_on_collision(pipe.load, _lost_schema_race, f"{pipe.pipeline_name}: the schema update")


def _forget_retyped_columns(pipe: Any, spooled: list[SpooledTable]) -> None:
    """Columns whose type in dlt's stored schema differs from this load's hints are dropped from
    that schema, so that dlt takes the hints: a rebuilt table (`intsync remap`) changed their
    type, and dlt 1.31 would keep the old precision and scale beside the new type (PostgreSQL's
    type mapper then fails the load on a text column with a scale). So are non-nullable columns
    the load does not carry (a spec dropped a `nullable: false` field), which dlt would refuse
    as "declared non-nullable but contains nulls"."""
    if pipe.default_schema_name is None:
        return
    schema = pipe.default_schema
    changed = False
    for item in spooled:
        stored = schema.tables.get(item.table, {}).get("columns", {})
        hints = item.hints.get("columns", {})
        for name, hint in hints.items():
            old = stored.get(name)
            if old is not None and _column_type(old) != _column_type(hint):
                del stored[name]
                changed = True
        for name in [n for n, c in stored.items() if n not in hints and c.get("nullable") is False]:
            del stored[name]  # no spec fills it any more: dlt would refuse the load's nulls
            changed = True
    if changed:
        pipe.schemas.save_schema(schema)


def _column_type(column: Mapping[str, Any]) -> tuple[Any, ...]:
    return (column.get("data_type"), column.get("precision"), column.get("scale"))


def _load_error(pipe: Any, exc: Exception, what: str) -> LoadFailedError:
    """The error a failed load ends its run with, in one line.

    A load the warehouse refused for good (a value its column type cannot take, a constraint, a
    schema change it will not make) would fail the same way on every later run, so its packages
    are aborted: dlt then restores the pipeline's local state and schema to what they were
    before them, and the warehouse's committed state (its last completed load) is untouched, so
    no cursor moves and the next run reads the same records again. Anything else (a dropped
    connection, a lock timeout) leaves the packages for the next run to finish."""
    reason = one_line(exc)
    if _terminal(exc) and pipe.has_pending_data:
        try:
            pipe.abort_packages()
        except Exception as abort_exc:  # the packages stay: the next run tries them again
            log.warning("%s: could not abort the refused load: %s", pipe.pipeline_name, abort_exc)
            return LoadFailedError(f"{what}: {reason}")
        log.warning("%s: the warehouse refused the load; aborted: %s", pipe.pipeline_name, reason)
        return LoadRefusedError(f"{what}: {reason} (nothing of this load was committed)")
    return LoadFailedError(f"{what}: {reason}")


def _abandon(pipe: Any, exc: Exception, what: str) -> None:
    """Abort a pipeline's pending packages that failed again; LoadFailedError if even that
    fails (they stay for the next run)."""
    try:
        pipe.abort_packages()
    except Exception as abort_exc:
        raise LoadFailedError(f"{what}: {one_line(exc)}") from abort_exc
    log.warning(
        "%s: %s: %s; abandoned it, its records are read again from the last committed cursor",
        pipe.pipeline_name,
        what,
        one_line(exc),
    )


def _terminal(exc: BaseException) -> bool:
    """Whether the warehouse refused a load for good (dlt calls such errors terminal); a schema
    update that collided with another load's is tried again elsewhere, not refused."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DestinationTerminalException) and not collided(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def one_line(exc: BaseException) -> str:
    """The innermost error's first line (dlt wraps a warehouse error in several layers, each
    repeating it with a traceback), at most 300 characters."""
    inner: BaseException = exc
    while True:
        nested = getattr(inner, "exception", None) or inner.__cause__ or inner.__context__
        if not isinstance(nested, BaseException) or nested is inner:
            break
        inner = nested
    text = str(inner).strip() or type(inner).__name__
    first = next((line.strip() for line in text.splitlines() if line.strip()), text)
    return first if len(first) <= 300 else first[:297] + "..."


def _lost_schema_race(exc: Exception) -> SchemaUpdateError | None:
    """The schema update that collided with another load's in a failed load, if that is why
    it failed; None for any other failure, a refusal too. dlt raises PipelineStepFailed with
    the update's error as its context, and calls most PostgreSQL errors terminal, a collision
    on the catalog too (see `collided`)."""
    cause = exc if isinstance(exc, SchemaUpdateError) else exc.__context__
    if not isinstance(cause, SchemaUpdateError):
        return None
    lost = not isinstance(cause, SchemaUpdateTerminalError) or collided(cause)
    return cause if lost else None


def _keys_unique(spooled: SpooledTable, key: list[str]) -> bool:
    """Whether no key occurs twice in the spooled rows: a run spools each object once, but a
    spec may key its table on another field than the object's id."""
    keys = pa.concat_tables(pq.read_table(path, columns=key) for path in spooled.files)
    return keys.group_by(key).aggregate([]).num_rows == keys.num_rows


def _first_loaded_tables(pipe: Any) -> set[str]:
    """The tables a pipeline's pending packages append to as first loads (see `_appends`)."""
    marked = {n for n, t in pipe.default_schema.tables.items() if t.get(FIRST_LOAD_HINT)}
    found: set[str] = set()
    for load_id in pipe.list_normalized_load_packages():
        for jobs in pipe.get_load_package_info(load_id).jobs.values():
            found.update(job.job_file_info.table_name for job in jobs)
    return found & marked


def _write_atomically(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def _drop_packages_of_unrecorded_extract(pipe: Any) -> None:
    """A pipeline's first extract saves its package before its schema and state; a run killed
    between the two leaves a package that no schema describes, and normalizing it then fails
    ("Schema `None` ... could not be found") on every later run. Nothing of it is committed
    anywhere: no cursor moved (staging commits the cursors with its load) and the store keeps
    the master copy of the sync logs, so the package is deleted and the next read brings its
    rows again."""
    if pipe.default_schema_name is not None:
        return
    extracted = pipe._get_normalize_storage().extracted_packages
    for load_id in pipe.list_extracted_load_packages():
        log.warning(
            "%s: package %s was extracted by a run that died before dlt recorded it; deleting it",
            pipe.pipeline_name,
            load_id,
        )
        extracted.delete_package(load_id)


def _drop_extracted_copies_of_normalized(pipe: Any) -> None:
    """dlt ends normalizing a package by renaming its normalized copy into place and then
    deleting the extracted one; a run killed between the two leaves both, and normalizing again
    then fails on the copy already there ("Directory not empty"), on every later run. The
    normalized copy is whole (the rename is atomic): the extracted one is deleted, and so is the
    dead run's leftover working folder for it, which normalizing would have rewritten."""
    normalized = set(pipe.list_normalized_load_packages())
    for load_id in pipe.list_extracted_load_packages():
        if load_id in normalized:
            log.warning(
                "%s: package %s was normalized before the run died; loading that copy",
                pipe.pipeline_name,
                load_id,
            )
            pipe._get_normalize_storage().extracted_packages.delete_package(load_id)
            pipe._get_load_storage().new_packages.delete_package(load_id, not_exists_ok=True)


def known_loaders(warehouse: Warehouse, dlt_dir: Path) -> set[str]:
    """The integrations with staging datasets in the warehouse or dlt working folders here."""
    return set(warehouse.loader_datasets()) | set(_working_folders(dlt_dir).values())


def discard_loaders(warehouse: Warehouse, dlt_dir: Path, integration_ids: set[str]) -> list[str]:
    """Drop the staging datasets (`<dataset>_load_<id>`) and delete the dlt working folders of
    these integrations, which must no longer exist: the names of what went. Their rows in the
    warehouse's tables stay."""
    by_loader = warehouse.loader_datasets()
    datasets = sorted(d for i in integration_ids for d in by_loader.get(i, []))
    warehouse.drop_datasets(datasets)
    folders = sorted(f for f, i in _working_folders(dlt_dir).items() if i in integration_ids)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return datasets + [str(f) for f in folders]


def _working_folders(dlt_dir: Path) -> dict[Path, str]:
    """dlt's folders of intsync's pipelines under `dlt_dir`, each with its integration's id
    (`IntegrationLoaders.pipeline` names them `intsync_<integration>_<dataset>`)."""
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


def _table_resource(spooled: SpooledTable, append: bool = False) -> Any:
    """The spooled Parquet files, imported into the load package as they are (dlt takes the
    table's columns from the empty table of the same schema); appended rather than merged
    when `append`."""
    assert spooled.schema is not None
    empty = spooled.schema.empty_table()

    def rows() -> Iterator[Any]:
        for path in spooled.files:
            count = pq.read_metadata(path).num_rows
            yield dlt.mark.with_file_import(str(path), "parquet", count, hints=empty)

    resource = dlt.resource(
        rows,
        name=f"{spooled.resource}__{spooled.table}",
        table_name=spooled.table,
        file_format="parquet",
        **{**spooled.hints, **({"write_disposition": "append"} if append else {})},
    )
    # Merges deduplicate the staged rows, though a run spools each id once: a load job repeated
    # after a kill (rows committed, file not yet marked done) stages its rows twice. Said
    # outright, so that a schema stored by a build that skipped it does not keep skipping it;
    # the first-load mark likewise, so that it holds for this load's package only.
    resource.apply_hints(
        additional_table_hints={"x-stage-data-deduplicated": False, FIRST_LOAD_HINT: append}
    )
    return resource


def _state_resource(resource: str, state: dict[str, Any]) -> Any:
    def commit_state() -> Iterator[Any]:
        dlt.current.resource_state()[STATE_KEY] = state
        yield from ()

    return dlt.resource(commit_state, name=resource)
