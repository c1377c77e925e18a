"""`sync-due`: the scheduled sync. Finds the integrations due a sync (a resource of theirs not
synced within the interval), at most `limit` per tick, and starts `sync-batch` runs of at most
`batch_size` of them each on the `normal` queue: Prefect's fixed cost is paid per batch, not
per integration. The queue's concurrency limit bounds how many batches run at once across every
worker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from flows.runtime import sync_context
from warehouse.store.types import utcnow

SYNC_DEPLOYMENT = "sync-integration/sync-integration"
BATCH_DEPLOYMENT = "sync-batch/sync-batch"
DEFAULT_BATCH_SIZE = 100


def due_integrations(
    store: Any,
    *,
    every: timedelta,
    resources_of: Callable[[Any], Sequence[str]],
    now: datetime | None = None,
    limit: int = 100,
) -> list[Any]:
    """Active integrations with a resource (of `resources_of(integration)`, those a sync reads)
    whose last sync started more than `every` ago, or never; the longest-waiting first.

    Per resource: a user's sync of one resource now and then must not hold back the others."""
    now = now or utcnow()
    never = datetime.min.replace(tzinfo=now.tzinfo)
    waiting: list[tuple[datetime, Any]] = []
    for integration in store.list_integrations():
        if integration.status != "active":
            continue
        starts = store.last_sync_starts(integration.id)
        oldest = min((starts.get(r, never) for r in resources_of(integration)), default=now)
        if now - oldest >= every:
            waiting.append((oldest, integration))
    waiting.sort(key=lambda pair: pair[0])
    return [integration for _, integration in waiting[:limit]]


def _mapped_resources(ctx: Any) -> Callable[[Any], Sequence[str]]:
    """The resources a full sync of an integration reads: those its provider's specs map (read
    from the catalog: no connector is built, so one misconfigured integration cannot stop the
    tick; its own run fails, with its log)."""
    return lambda integration: ctx.catalog.mapped_resources(integration.provider)


@flow(name="sync-due")
def sync_due_flow(
    every_minutes: float = 60, limit: int = 500, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[str]:
    """Start `sync-batch` runs (queue `normal`) of the due integrations, the longest-waiting
    first, `batch_size` to a run; the runs' ids."""
    ctx = sync_context()
    due = due_integrations(
        ctx.store,
        every=timedelta(minutes=every_minutes),
        resources_of=_mapped_resources(ctx),
        limit=limit,
    )
    started: list[str] = []
    size = max(1, batch_size)
    for first in range(0, len(due), size):
        batch = [integration.id for integration in due[first : first + size]]
        run = cast(  # called outside an event loop: the run itself, not a coroutine
            FlowRun,
            run_deployment(
                BATCH_DEPLOYMENT,
                parameters={"integration_ids": batch, "priority": "normal"},
                work_queue_name="normal",
                timeout=0,
                as_subflow=False,
            ),
        )
        started.append(str(run.id))
    get_run_logger().info("started %d batch runs for %d due integrations", len(started), len(due))
    return started
