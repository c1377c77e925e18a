"""`sync-batch`: many integrations in one flow run, so that Prefect's fixed cost is paid per batch.

The run reads the integrations concurrently and loads them together (pipelines.sync.sync_batch).
Inside it, each integration still has what a `sync-integration` run gives it: its breakers
checked and counted, its events, retries of retriable failures (those integrations alone, with
Prefect's backoff and jitter), and a dead letter once its retries are exhausted. A batch run
that crashes is rerun by Prefect like any other, up to the crash cap; its integrations are then
dead-lettered one by one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows import events
from flows.reruns import give_up_after_crashes
from flows.retrying import JITTER_FACTOR, retry_options
from flows.runtime import sync_context
from pipelines.breakers import guarded_batch
from pipelines.runs import SyncResult
from warehouse.errors import NotFoundError

if TYPE_CHECKING:
    from warehouse.store import Integration

BATCH_DEPLOYMENT = "sync-batch/sync-batch"
# integrations read at once inside a batch run
DEFAULT_CONCURRENCY = 8


class BatchFailedError(Exception):
    """Some integrations of a batch failed; their reasons are in the sync logs and events."""


@flow(name="sync-batch", flow_run_name="sync-batch-{priority}")
def sync_batch_flow(
    integration_ids: list[str],
    priority: str = "normal",
    full_refresh: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Any]:
    """Sync these integrations together; fails, after recording everything, when any failed."""
    for integration_id in integration_ids:
        give_up_after_crashes(
            "sync",
            integration_id,
            {"integration_id": integration_id, "resources": None, "full_refresh": full_refresh},
        )
    ctx = sync_context()
    integrations = []
    for integration_id in integration_ids:
        try:
            integrations.append(ctx.store.get_integration(integration_id))
        except NotFoundError:  # removed since the batch was queued
            get_run_logger().info("integration %s no longer exists", integration_id)
    run_id = (flow_run.get_id() or "").replace("-", "")
    for integration in integrations:
        events.sync_started(integration, run_id, None, priority=priority)
    results = _with_retries(integrations, ctx, full_refresh, concurrency)
    failed = []
    for integration in integrations:
        result = results[integration.id]
        events.sync_finished(integration, _event_result(result))
        if not result.ok:
            failed.append(f"{integration.id}: {result.error}")
    summary = {"integrations": len(integrations), "failed": failed}
    if failed:
        raise BatchFailedError(f"{len(failed)} of {len(integrations)} failed: {failed[0]}")
    return summary


def _with_retries(
    integrations: list[Integration], ctx: Any, full_refresh: bool, concurrency: int
) -> dict[str, SyncResult]:
    """Each integration's last result: those that failed retriably are synced again after
    Prefect's backoff (with jitter), then dead-lettered when they still fail."""
    options = retry_options()
    delays = list(options["retry_delay_seconds"])
    results: dict[str, SyncResult] = {}
    todo = integrations
    for attempt in range(options["retries"] + 1):
        for result in guarded_batch(todo, ctx, full_refresh=full_refresh, concurrency=concurrency):
            results[result.integration_id] = result
        todo = [i for i in todo if _retriable(results[i.id])]
        if not todo or attempt == options["retries"]:
            break
        time.sleep(_jittered(delays[min(attempt, len(delays) - 1)]))
    for integration in todo:
        result = results[integration.id]
        ctx.store.add_dead_letter(
            kind="sync",
            integration_id=integration.id,
            payload={
                "integration_id": integration.id,
                "resources": [o.resource for o in result.resources if o.status != "success"],
                "full_refresh": full_refresh,
            },
            reason=f"{result.error} (after {options['retries'] + 1} tries in a batch)",
            attempts=options["retries"] + 1,
        )
    return results


def _retriable(result: SyncResult) -> bool:
    failed = [o for o in result.resources if o.status != "success"]
    return bool(failed) and all(o.failure is not None and o.failure.retriable for o in failed)


def _jittered(delay: float) -> float:
    from prefect.utilities.math import clamped_poisson_interval

    return float(clamped_poisson_interval(delay, clamping_factor=JITTER_FACTOR))


def _event_result(result: SyncResult) -> dict[str, Any]:
    """The result as `events.sync_finished` reads a sync-integration run's."""
    found = result.to_dict()
    found["status"] = result.status
    return found
