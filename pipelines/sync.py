"""Sync one integration: read its resources through the mappings, load, and log every step."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from connectors.base import Connector, Page, Window
from connectors.errors import AuthenticationError, ConnectorError, UnreachableError
from pipelines.collector import fewer_collections
from pipelines.connectors import build_connector
from pipelines.drift import new_field_notes
from pipelines.errors import (
    LoadFailedError,
    NoMappingError,
    ReadFailedError,
    SchemaChangePendingError,
)
from pipelines.extract import PageCallback, ResourceOutcome, ResourceReader, mapping_context
from pipelines.landing import last_known_records
from pipelines.loaders import IntegrationLoaders
from pipelines.opslog import spool_sync_logs
from pipelines.partread import PartPool
from pipelines.plan import type_changes, unfilled_not_null
from pipelines.quarantine import judge_quarantine, settle_quarantine
from pipelines.specs import MappingCatalog
from pipelines.spool import Spool, sweep_abandoned
from pipelines.unlisted import live_ids
from warehouse.columns import TableColumn, datasets_columns
from warehouse.destinations import Warehouse

log = logging.getLogger(__name__)
# the datasets whose tables the specs make: checked against the specs before a sync reads
MAPPED = ("staging", "core")


@dataclass
class SyncResult:
    """One integration's run: a status and what happened to each resource."""

    integration_id: str
    tenant_id: str
    venue_id: str
    provider: str
    run_id: str
    status: str = "running"
    error: str | None = None
    resources: list[ResourceOutcome] = field(default_factory=list)
    # seconds each phase took: "prepare" (finish a dead run's loads, read the cursors), "read"
    # (from the provider, mapped and spooled), "load" (raw, core, staging), "logs" (ops)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        for outcome in found["resources"]:
            outcome.pop("fields", None)  # what drift notes are made of, not a result
        return found


@dataclass
class SyncContext:
    """What a sync needs from its surroundings."""

    store: Any  # warehouse.store.Store
    warehouse: Warehouse
    catalog: MappingCatalog
    dlt_dir: Path
    on_page: PageCallback | None = None
    connector_factory: Callable[[Any, Any], Connector] = build_connector
    # worker processes for full reads a connector can split (1: every read in this process)
    read_processes: int = 1


def sync_integration(
    integration: Any,
    ctx: SyncContext,
    *,
    resources: Sequence[str] | None = None,
    full_refresh: bool = False,
    run_id: str | None = None,
    window: Window | None = None,
) -> SyncResult:
    """Read the asked resources (all mapped ones by default) and load them; never raises for
    provider or load failures: they end in the result and the sync logs.

    With `window` (start, end), each resource reads what was created in [start, end) (a
    connector without windows reads everything, noted in the log) and no cursor is committed."""
    with fewer_collections():
        return _sync(integration, ctx, resources, full_refresh, run_id or uuid.uuid4().hex, window)


def _sync(
    integration: Any,
    ctx: SyncContext,
    resources: Sequence[str] | None,
    full_refresh: bool,
    run_id: str,
    window: Window | None,
) -> SyncResult:
    result = SyncResult(
        integration.id, integration.tenant_id, integration.venue_id, integration.provider, run_id
    )
    started = datetime.now(UTC)  # before the run's rows are stamped (see settle_quarantine)
    connector = ctx.connector_factory(integration, ctx.store)
    if window is not None:
        connector = WindowedConnector(connector, window)
    try:
        names = mapped_resources(ctx.catalog, connector, integration, resources)
    except NoMappingError as exc:
        result.status, result.error = "failed", str(exc)
        return result
    loaders = IntegrationLoaders.of(integration, ctx.warehouse, ctx.dlt_dir)
    for swept in sweep_abandoned(ctx.dlt_dir / "spool"):
        log.info("deleted %s, the files of a run that ended without cleaning up", swept)
    spool = Spool.temporary(ctx.dlt_dir / "spool", f"run-{run_id[:8]}-")
    log_ids: dict[str, int] = {}
    # a full read the connector can split is read by worker processes (never a window)
    pool = PartPool(1 if window is not None else ctx.read_processes)
    if pool.usable and _reads_in_full(ctx, integration, connector, names, full_refresh):
        pool.start()  # the workers' start-up overlaps the preparing
    try:
        with _timed(result, "prepare"), loaders.writing():
            loaders.finish_pending()
            states = loaders.cursor_states()
        with _timed(result, "read"):
            _read_all(
                integration,
                ctx,
                connector,
                names,
                states,
                full_refresh,
                run_id,
                spool,
                result,
                log_ids,
                pool,
            )
        with _timed(result, "load"):
            _load(loaders, spool, result)
    except LoadFailedError as exc:
        _fail_unloaded(ctx, integration, names, run_id, result, log_ids, exc)
    finally:
        pool.close()
        connector.close()
    try:
        result.status = (
            "success" if all(o.status == "success" for o in result.resources) else "failed"
        )
        if result.status == "failed" and result.error is None:
            result.error = next(
                (o.error_message for o in result.resources if o.error_message), None
            )
        with _timed(result, "logs"):
            _finish_logs(ctx, integration, result, log_ids, loaders, spool, started)
    finally:
        spool.close()
    return result


@contextlib.contextmanager
def _timed(result: SyncResult, phase: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[phase] = round(time.perf_counter() - started, 3)


class WindowedConnector:
    """A connector whose every read is limited to `window` and yields no cursor state."""

    def __init__(self, inner: Connector, window: Window) -> None:
        self.inner = inner
        self.window = window
        self.provider = inner.provider
        self.takes_window = "window" in inspect.signature(inner.read).parameters

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def resources(self) -> list[str]:
        """The inner connector's resources."""
        return self.inner.resources()

    def read(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False
    ) -> Iterator[Page]:
        """The window's pages, stripped of state so that no cursor moves."""
        if self.takes_window:
            read: Callable[..., Iterator[Page]] = self.inner.read  # takes `window`: see __init__
            pages = read(resource, {}, full_refresh=True, window=self.window)
            note = None
        else:
            pages = self.inner.read(resource, {}, full_refresh=True)
            note = f"{self.provider} {resource}: no date window for this provider: full re-read"
        for page in pages:
            page.state = None
            if note:
                page.notes.append(note)
                note = None
            yield page

    def close(self) -> None:
        """Close the inner connector."""
        self.inner.close()


def mapped_resources(
    catalog: MappingCatalog, connector: Connector, integration: Any, asked: Sequence[str] | None
) -> list[str]:
    """The resources to sync: those asked for (each must exist and be mapped), else all mapped."""
    available = connector.resources()
    mapped = [r for r in available if catalog.staging_for(integration.provider, r)]
    if not asked:
        unread = [r for r in catalog.mapped_resources(integration.provider) if r not in available]
        if unread:  # validation refuses such specs; a sync never skips one without a word
            raise NoMappingError(
                f"a spec maps {integration.provider} {unread[0]!r}, which the "
                f"{integration.provider} connector does not read (it reads "
                f"{', '.join(available)}): fix the spec's resource"
            )
        return mapped
    unknown = [r for r in asked if r not in available]
    if unknown:
        raise NoMappingError(
            f"{integration.provider} has no resource {unknown[0]!r}: it has {', '.join(available)}"
        )
    unmapped = [r for r in asked if r not in mapped]
    if unmapped:
        raise NoMappingError(
            f"no staging spec maps {integration.provider} {unmapped[0]!r}: add "
            f"mappings/specs/{integration.provider}/{unmapped[0]}.yaml"
        )
    return list(asked)


def _read_all(
    integration: Any,
    ctx: SyncContext,
    connector: Connector,
    names: list[str],
    states: dict[str, dict[str, Any]],
    full_refresh: bool,
    run_id: str,
    spool: Spool,
    result: SyncResult,
    log_ids: dict[str, int],
    pool: PartPool,
) -> None:
    context = mapping_context(integration, run_id)
    windowed = isinstance(connector, WindowedConnector)  # a window is never the whole resource
    try:
        auth_error: AuthenticationError | UnreachableError | None = None
        # the warehouse's columns, read once (on a sync's first resource) for every check
        held = functools.cache(functools.partial(datasets_columns, ctx.warehouse, MAPPED))
        for name in names:
            state = states.get(name, {})
            log_ids[name] = ctx.store.start_sync_log(
                integration=integration,
                resource=name,
                run_id=run_id,
                cursor_before=_cursor_text(state),
                spec_versions=ctx.catalog.versions_for(
                    integration.provider, name, integration.venue_id
                ),
            )
            compiled = ctx.catalog.compiled_for(integration.provider, name, integration.venue_id)
            refusal = auth_error or _pending_type_change(compiled, held, ctx.warehouse)
            if refusal is not None:
                outcome = ResourceOutcome(name, cursor_before=state)
                _fail(outcome, refusal)
                result.resources.append(outcome)
                continue
            reader = ResourceReader(
                name,
                compiled,
                context,
                spool,
                id_key=getattr(connector, "id_key", "id"),
                on_page=ctx.on_page,
                last_known=functools.partial(
                    last_known_records, ctx.warehouse, integration.provider, name, integration.id
                ),
                live_ids=None if windowed else _live_ids(ctx, integration, name, context),
            )
            try:
                outcome = reader.read(connector, state, full_refresh=full_refresh, pool=pool)
                outcome.status = "extracted"
                judge_quarantine(outcome, integration.provider, _staging_table(reader.mappings))
            except (ConnectorError, ReadFailedError) as exc:
                outcome = getattr(exc, "outcome", None) or ResourceOutcome(
                    name, cursor_before=state
                )
                _fail(outcome, exc)
                spool.discard(name)
                if isinstance(exc, AuthenticationError):
                    auth_error = exc
                    ctx.store.set_integration_status(integration.id, "needs_reconnect", str(exc))
                elif isinstance(exc, UnreachableError):
                    auth_error = exc  # the next resources would wait out the same budget each
            result.resources.append(outcome)
    finally:
        pool.close()  # the workers end before the load begins


def _pending_type_change(
    compiled: list[Any],
    held: Callable[[], dict[str, dict[str, list[TableColumn]]]],
    warehouse: Warehouse,
) -> Exception | None:
    """A spec's type change the warehouse's table does not have yet stops the resource before
    it reads: loading would cast the new values to the old type, or fail on them. A NOT NULL
    column no spec fills any more is made to take nulls (a load would be refused otherwise).
    `held` gives the warehouse's columns by dataset (cached for the sync)."""

    def columns_of(dataset: str) -> dict[str, list[TableColumn]]:
        return held().get(dataset, {})

    problems = type_changes(compiled, columns_of)
    if problems:
        return SchemaChangePendingError("; ".join(problems))
    for dataset, table, columns in unfilled_not_null(compiled, columns_of):
        log.warning("%s.%s: %s no longer mapped; they now take nulls", dataset, table, columns)
        warehouse.drop_not_null(dataset, table, columns)
        held.cache_clear()  # type: ignore[attr-defined]
    return None


def _reads_in_full(
    ctx: SyncContext, integration: Any, connector: Connector, names: list[str], full: bool
) -> bool:
    """Whether this sync will likely read a resource in full with a connector that can split it:
    asked to, or a resource never synced before (one that failed its first sync is not seen
    here; its workers start when its read does). Whether the read is long enough to split is
    known only once it starts: for a small account the early workers go unused, which cost the
    demo's two first syncs 0.3 to 0.4 s (8.8 s against 8.5 s, 10.7 against 10.3)."""
    if not hasattr(connector, "split"):
        return False
    return full or bool(set(names) - set(ctx.store.last_sync_starts(integration.id)))


def _fail_unloaded(
    ctx: SyncContext,
    integration: Any,
    names: list[str],
    run_id: str,
    result: SyncResult,
    log_ids: dict[str, int],
    exc: LoadFailedError,
) -> None:
    """A load failed: every resource read fails with it, and so does each one not read yet (a
    dead run's load that cannot be finished stops the run before it reads), each with its log."""
    for outcome in result.resources:
        if outcome.status != "failed":
            outcome.status, outcome.error_class = "failed", type(exc).__name__
            outcome.error_message = str(exc)
    read = {outcome.resource for outcome in result.resources}
    for name in names:
        if name not in read:
            log_ids[name] = ctx.store.start_sync_log(
                integration=integration, resource=name, run_id=run_id, cursor_before=None
            )
            outcome = ResourceOutcome(name, cursor_before={})
            _fail(outcome, exc)
            result.resources.append(outcome)


def _live_ids(
    ctx: SyncContext, integration: Any, resource: str, context: dict[str, Any]
) -> Callable[[], set[str]]:
    tables = [
        m.table
        for m in ctx.catalog.compiled_for(integration.provider, resource, integration.venue_id)
        if m.dataset == "staging"
    ]
    return functools.partial(live_ids, ctx.warehouse, tables, integration.id, context["synced_at"])


def _staging_table(mappings: list[Any]) -> str:
    return next((m.table for m in mappings if m.dataset == "staging"), "")


def _fail(outcome: ResourceOutcome, exc: Exception) -> None:
    outcome.status = "failed"
    outcome.error_class = type(exc).__name__
    outcome.error_message = str(exc)
    outcome.cursor_after = None


def _load(loaders: IntegrationLoaders, spool: Spool, result: SyncResult) -> None:
    states = {o.resource: o.cursor_after for o in result.resources if o.status == "extracted"}
    with loaders.writing():
        loaders.load(spool, states, datasets=("raw", "core", "staging"))
    for outcome in result.resources:
        if outcome.status == "extracted":
            outcome.status = "success"
            _check_completeness(outcome)


def _check_completeness(outcome: ResourceOutcome) -> None:
    if outcome.expected_total is not None and outcome.rows_extracted < outcome.expected_total:
        outcome.notes.append(
            f"warning: completeness: read {outcome.rows_extracted} of the "
            f"{outcome.expected_total} the provider reports "
            f"({outcome.expected_total - outcome.rows_extracted} missing)"
        )


def _finish_logs(
    ctx: SyncContext,
    integration: Any,
    result: SyncResult,
    log_ids: dict[str, int],
    loaders: IntegrationLoaders,
    spool: Spool,
    started: datetime,
) -> None:
    """Close the run's sync logs in the store (with a note of the new fields no spec maps), then
    load them with the run's quarantined rows into ops and close the quarantine rows of the
    records that now map (last: a run that dies before leaves its records in raw, so `intsync
    remap` can quarantine them again)."""
    loaded = [o for o in result.resources if o.status == "success"]
    for outcome in loaded:
        outcome.notes += _new_fields(ctx, integration, outcome, result.run_id)
    for outcome in result.resources:
        ctx.store.finish_sync_log(
            log_ids[outcome.resource],
            status=outcome.status,
            rows_extracted=outcome.rows_extracted,
            rows_loaded=outcome.rows_loaded if outcome.status == "success" else 0,
            rows_deleted=outcome.rows_deleted if outcome.status == "success" else 0,
            rows_quarantined=outcome.rows_quarantined,
            cursor_after=_cursor_text(outcome.cursor_after),
            error_class=outcome.error_class,
            error_message=outcome.error_message,
            details={"notes": outcome.notes, "expected_total": outcome.expected_total},
        )
    if result.ok and integration.status != "active":
        ctx.store.set_integration_status(integration.id, "active", None)
    spool_sync_logs(ctx.store, integration.id, list(log_ids.values()), spool)
    try:
        with loaders.writing():
            loaders.load(spool, {}, datasets=("ops",))
            mapped = [
                m
                for o in loaded
                for m in ctx.catalog.compiled_for(
                    integration.provider, o.resource, integration.venue_id
                )
            ]
            settle_quarantine(ctx.warehouse, integration, mapped, started)
    except LoadFailedError as exc:  # the store keeps the master copy of the logs
        log.warning("could not load ops.sync_logs and ops.quarantine: %s", exc)


def _new_fields(
    ctx: SyncContext, integration: Any, outcome: ResourceOutcome, run_id: str
) -> list[str]:
    """The drift note of a resource read and loaded (its fields are then let go)."""
    specs = [
        m.spec
        for m in ctx.catalog.compiled_for(
            integration.provider, outcome.resource, integration.venue_id
        )
    ]
    fields, outcome.fields = outcome.fields, set()
    try:
        return new_field_notes(ctx.store, integration, outcome.resource, fields, specs, run_id)
    except Exception as exc:  # the store's or a spec's: the sync itself succeeded
        log.warning("could not compare the fields of %s: %s", outcome.resource, exc)
        return []


def _cursor_text(state: dict[str, Any] | None) -> str | None:
    return None if state is None else orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()
