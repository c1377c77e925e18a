"""Sync one integration or a batch of them: read their resources through the mappings, load,
and log every step."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from connectors.base import Window
from pipelines.batch import Batch
from pipelines.collector import fewer_collections
from pipelines.runs import SyncContext, SyncResult

if TYPE_CHECKING:
    from warehouse.store import Integration


def sync_integration(
    integration: Integration,
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
    (result,) = sync_batch(
        [integration],
        ctx,
        resources=resources,
        full_refresh=full_refresh,
        run_ids={integration.id: run_id} if run_id else None,
        window=window,
    )
    return result


def sync_batch(
    integrations: Sequence[Integration],
    ctx: SyncContext,
    *,
    resources: Sequence[str] | None = None,
    full_refresh: bool = False,
    concurrency: int = 1,
    run_ids: Mapping[str, str] | None = None,
    window: Window | None = None,
    on_start: Callable[[Integration], None] | None = None,
    on_result: Callable[[SyncResult], None] | None = None,
) -> list[SyncResult]:
    """Sync these integrations, reading up to `concurrency` at once and loading those whose
    reads have ended together: one load per dataset for all of them (see `Batch`). Results in
    the order given; `on_result` is called as each integration's run ends (in this thread)."""
    with fewer_collections():
        batch = Batch(ctx, resources, full_refresh, window, run_ids or {})
        return batch.run(list(integrations), max(1, concurrency), on_start, on_result)
