"""`sync-due`: the scheduled sync. Finds the integrations due a sync (a resource of theirs not
synced within the interval), at most `limit` per tick, and starts `sync-batch` runs on the
`normal` queue: Prefect's fixed cost is paid per batch, not per integration. A batch holds at
most `batch_size` integrations and about `batch_rows` rows of expected work: what each resource's
last successful sync read, or `first_sync_rows` for a resource never synced, so that a venue's
first sync does not hold a hundred small ones back. The queue's concurrency limit bounds how many
batches run at once across every worker."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from flows.runtime import sync_context
from warehouse.store.sync_logs import LastSync
from warehouse.store.types import utcnow

if TYPE_CHECKING:
    from warehouse.store import Integration, Store

SYNC_DEPLOYMENT = "sync-integration/sync-integration"
BATCH_DEPLOYMENT = "sync-batch/sync-batch"
DEFAULT_BATCH_SIZE = 100
DEFAULT_BATCH_ROWS = 200_000
# what a resource never synced successfully is expected to read
DEFAULT_FIRST_SYNC_ROWS = 20_000


def due_integrations(
    store: Store,
    *,
    every: timedelta,
    resources_of: Callable[[Integration], Sequence[str]],
    now: datetime | None = None,
    limit: int = 100,
    history: Mapping[str, Mapping[str, LastSync]] | None = None,
) -> list[Any]:
    """Active integrations with a resource (of `resources_of(integration)`, those a sync reads)
    whose last sync started more than `every` ago, or never; the longest-waiting first.

    Per resource: a user's sync of one resource now and then must not hold back the others.
    `history` is the store's `fleet_sync_history()`, read here when not given."""
    now = now or utcnow()
    never = datetime.min.replace(tzinfo=now.tzinfo)
    history = store.fleet_sync_history() if history is None else history
    waiting: list[tuple[datetime, Any]] = []
    for integration in store.list_integrations():
        if integration.status != "active":
            continue
        last = history.get(integration.id, {})
        oldest = min(
            (last[r].started_at if r in last else never for r in resources_of(integration)),
            default=now,
        )
        if now - oldest >= every:
            waiting.append((oldest, integration))
    waiting.sort(key=lambda pair: pair[0])
    return [integration for _, integration in waiting[:limit]]


def batches(
    due: Sequence[Any],
    *,
    resources_of: Callable[[Integration], Sequence[str]],
    history: Mapping[str, Mapping[str, LastSync]],
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    first_sync_rows: int = DEFAULT_FIRST_SYNC_ROWS,
) -> list[list[str]]:
    """The due integrations' ids in batches, in order: a new batch once `batch_size` are in, or
    once the next one's expected rows would take the batch past `batch_rows` (an integration
    expected to read more than that goes alone)."""
    found: list[list[str]] = []
    batch: list[str] = []
    rows = 0
    for integration in due:
        expected = expected_rows(integration, resources_of, history, first_sync_rows)
        if batch and (len(batch) >= max(1, batch_size) or rows + expected > batch_rows):
            found.append(batch)
            batch, rows = [], 0
        batch.append(integration.id)
        rows += expected
    if batch:
        found.append(batch)
    return found


def expected_rows(
    integration: Integration,
    resources_of: Callable[[Integration], Sequence[str]],
    history: Mapping[str, Mapping[str, LastSync]],
    first_sync_rows: int,
) -> int:
    """What a sync of the integration is expected to read: per resource, what its last
    successful sync read, or `first_sync_rows` if none succeeded yet."""
    last = history.get(integration.id, {})
    total = 0
    for resource in resources_of(integration):
        read = last[resource].rows_read if resource in last else None
        total += first_sync_rows if read is None else read
    return total


def _mapped_resources(ctx: Any) -> Callable[[Integration], Sequence[str]]:
    """The resources a full sync of an integration reads: those its provider's specs map (read
    from the catalog: no connector is built, so one misconfigured integration cannot stop the
    tick; its own run fails, with its log)."""
    return lambda integration: ctx.catalog.mapped_resources(integration.provider)


@flow(name="sync-due")
def sync_due_flow(
    every_minutes: float = 60,
    limit: int = 500,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    first_sync_rows: int = DEFAULT_FIRST_SYNC_ROWS,
) -> list[str]:
    """Start `sync-batch` runs (queue `normal`) of the due integrations, the longest-waiting
    first, bounded by `batch_size` and `batch_rows` (see `batches`); the runs' ids."""
    ctx = sync_context()
    history = ctx.store.fleet_sync_history()
    resources_of = _mapped_resources(ctx)
    due = due_integrations(
        ctx.store,
        every=timedelta(minutes=every_minutes),
        resources_of=resources_of,
        limit=limit,
        history=history,
    )
    packed = batches(
        due,
        resources_of=resources_of,
        history=history,
        batch_size=batch_size,
        batch_rows=batch_rows,
        first_sync_rows=first_sync_rows,
    )
    started: list[str] = []
    for batch in packed:
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
