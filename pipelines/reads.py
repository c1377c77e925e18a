"""Reading an integration's resource set: which resources a sync reads, whether it reads them in
full, and reading each through its mappings into the run's spool, with a sync log each."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from connectors.base import Connector, id_key
from connectors.common.splits import SplitsReads
from connectors.errors import AuthenticationError, ConnectorError, UnreachableError
from pipelines.columncheck import WarehouseColumns, pending_type_change
from pipelines.errors import NoMappingError, ReadFailedError
from pipelines.extract import ResourceOutcome, ResourceReader, mapping_context
from pipelines.landing import last_known_records
from pipelines.outcomes import cursor_text, fail
from pipelines.partread import PartPool
from pipelines.quarantine import judge_quarantine
from pipelines.runs import SyncContext, SyncResult
from pipelines.specs import MappingCatalog
from pipelines.spool import Spool
from pipelines.unlisted import live_ids
from pipelines.windows import WindowedConnector
from warehouse.store.sync_logs import LogStart

if TYPE_CHECKING:
    from warehouse.store import Integration


def mapped_resources(
    catalog: MappingCatalog,
    connector: Connector,
    integration: Integration,
    asked: Sequence[str] | None,
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


def reads_in_full(
    ctx: SyncContext, integration: Integration, connector: Connector, names: list[str], full: bool
) -> bool:
    """Whether this sync will likely read a resource in full with a connector that can split it:
    asked to, or a resource never synced before (one that failed its first sync is not seen
    here; its workers start when its read does). Whether the read is long enough to split is
    known only once it starts: for a small account the early workers go unused, which cost the
    demo's two first syncs 0.3 to 0.4 s (8.8 s against 8.5 s, 10.7 against 10.3)."""
    if not isinstance(connector, SplitsReads):
        return False
    return full or bool(set(names) - set(ctx.store.last_sync_starts(integration.id)))


def read_resources(
    integration: Integration,
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
    held: WarehouseColumns,
) -> None:
    """Read `names` in turn into `spool`, each outcome into `result` and each log opened into
    `log_ids`; a failed resource spools nothing, and an authentication or reachability failure
    fails the resources after it unread. The pool's workers end before this returns."""
    context = mapping_context(integration, run_id)
    windowed = isinstance(connector, WindowedConnector)  # a window is never the whole resource
    try:
        auth_error: AuthenticationError | UnreachableError | None = None
        starts = [
            LogStart(
                name,
                cursor_text(states.get(name, {})),
                ctx.catalog.versions_for(integration.provider, name, integration.venue_id),
            )
            for name in names
        ]
        opened = ctx.store.start_sync_logs(integration=integration, run_id=run_id, starts=starts)
        log_ids.update(zip(names, opened, strict=True))
        for name in names:
            state = states.get(name, {})
            compiled = ctx.catalog.compiled_for(integration.provider, name, integration.venue_id)
            refusal = auth_error or pending_type_change(compiled, held, ctx.warehouse)
            if refusal is not None:
                outcome = ResourceOutcome(name, cursor_before=state)
                fail(outcome, refusal)
                result.resources.append(outcome)
                continue
            reader = ResourceReader(
                name,
                compiled,
                context,
                spool,
                id_key=id_key(connector),
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
                outcome = reader.outcome or ResourceOutcome(name, cursor_before=state)
                fail(outcome, exc)
                spool.discard(name)
                if isinstance(exc, AuthenticationError):
                    auth_error = exc
                    ctx.store.set_integration_status(integration.id, "needs_reconnect", str(exc))
                elif isinstance(exc, UnreachableError):
                    auth_error = exc  # the next resources would wait out the same budget each
            result.resources.append(outcome)
    finally:
        pool.close()  # the workers end before the load begins


def _live_ids(
    ctx: SyncContext, integration: Integration, resource: str, context: dict[str, Any]
) -> Callable[[], set[str]]:
    tables = [
        m.table
        for m in ctx.catalog.compiled_for(integration.provider, resource, integration.venue_id)
        if m.dataset == "staging"
    ]
    return functools.partial(live_ids, ctx.warehouse, tables, integration.id, context["synced_at"])


def _staging_table(mappings: list[Any]) -> str:
    return next((m.table for m in mappings if m.dataset == "staging"), "")
