"""`sync-integration`: one integration's resources, each an extract-and-load task that retries
on its own (retriable failures only), under its account's concurrency limit and the breakers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.runtime import flow_run

from flows import events
from flows.limits import account_slot
from flows.reruns import give_up_after_crashes
from flows.retrying import ResourceFailedError, failure_of, retry_options
from flows.runtime import sync_context
from pipelines.breakers import breakers_of, count_outcome
from pipelines.context import resources_to_sync
from pipelines.errors import Failure, NoMappingError
from pipelines.sync import sync_integration

if TYPE_CHECKING:
    from warehouse.store import Integration

PRIORITIES = ("critical", "high", "normal", "low")
# The classes after which the remaining resources of the run are not even tried.
_STOP_RUN = frozenset(
    {"AuthenticationError", "BreakerOpenError", "ConfigurationError", "UnreachableError"}
)


class SyncFailedError(Exception):
    """Some resources of a sync failed; their reasons are in the message and the sync logs."""

    retriable = False


@task(name="sync-resource", task_run_name="{resource}")
def sync_resource(
    integration_id: str,
    resource: str,
    full_refresh: bool = False,
    run_id: str | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """Extract and load one resource (with `window`, only what was created in it, and no cursor
    moves); raises ResourceFailedError (retriable or not) on failure."""
    ctx = sync_context()
    integration = ctx.store.get_integration(integration_id)
    breakers = breakers_of(ctx.store, integration)
    for breaker in breakers:
        breaker.check()
    with account_slot(integration):
        result = sync_integration(
            integration,
            ctx,
            resources=[resource],
            full_refresh=full_refresh,
            run_id=run_id,
            window=window,
        )
    if not result.resources:
        raise ResourceFailedError(resource, Failure(NoMappingError.__name__), result.error)
    outcome = result.resources[0]
    count_outcome(breakers, outcome.status == "success", outcome.failure)
    if outcome.status != "success":
        raise ResourceFailedError(resource, outcome.failure, outcome.error_message)
    found = asdict(outcome)
    found.pop("failure")  # error_class and error_message say it
    return found


@flow(name="sync-integration", flow_run_name="sync-{integration_id}")
def sync_integration_flow(
    integration_id: str,
    resources: list[str] | None = None,
    full_refresh: bool = False,
    priority: str = "high",
) -> dict[str, Any]:
    """Sync one integration: each resource a retried task; events before and after; exhausted
    retries dead-lettered. Fails (after recording everything) when any resource failed, and at
    once, dead-lettered, when rerun after crashes more often than the cap (flows.reruns)."""
    give_up_after_crashes(
        "sync",
        integration_id,
        {"integration_id": integration_id, "resources": resources, "full_refresh": full_refresh},
    )
    ctx = sync_context()
    integration = ctx.store.get_integration(integration_id)
    run_id = (flow_run.get_id() or "").replace("-", "") or None
    names = resources_to_sync(integration, ctx, resources)
    events.sync_started(integration, run_id or "", names, priority=priority)
    result = run_resources(integration, names, full_refresh, run_id)
    events.sync_finished(integration, result)
    if result["status"] != "success":
        raise SyncFailedError(f"sync of {integration_id} failed: {result['error']}")
    return result


def run_resources(
    integration: Integration, names: list[str], full_refresh: bool, run_id: str | None
) -> dict[str, Any]:
    """Run the resource tasks in turn; dead-letter those that exhausted their retries."""
    options = retry_options()
    step = sync_resource.with_options(**options)
    outcomes: list[dict[str, Any]] = []
    stopped: tuple[str, str] | None = None  # the error class and message that end the run
    for name in names:
        if stopped is not None:
            outcomes.append(_failed(name, stopped[0], f"not tried: {stopped[1]}"))
            continue
        state = step(integration.id, name, full_refresh, run_id, return_state=True)
        if not state.is_failed():
            outcomes.append(state.result())
            continue
        exc = state.result(raise_on_failure=False)
        failure = failure_of(exc)
        error_class = failure.error_class
        outcomes.append(_failed(name, error_class, str(exc)))
        if failure.retriable:
            _dead_letter(integration, name, full_refresh, str(exc), options["retries"] + 1)
        elif error_class == "BreakerOpenError":
            _dead_letter_cut_short(integration, name, full_refresh, run_id, str(exc))
        if error_class in _STOP_RUN:
            stopped = (error_class, str(exc))
    failed = [o for o in outcomes if o["status"] != "success"]
    return {
        "integration_id": integration.id,
        "venue_id": integration.venue_id,
        "provider": integration.provider,
        "run_id": run_id,
        "status": "failed" if failed else "success",
        "error": failed[0]["error_message"] if failed else None,
        "resources": outcomes,
    }


def _failed(resource: str, error_class: str, message: str) -> dict[str, Any]:
    return {
        "resource": resource,
        "status": "failed",
        "rows_extracted": 0,
        "rows_loaded": 0,
        "rows_deleted": 0,
        "error_class": error_class,
        "error_message": message,
    }


def _dead_letter_cut_short(
    integration: Integration, resource: str, full_refresh: bool, run_id: str | None, refusal: str
) -> None:
    """A breaker that opened between a resource's retries ends them with a non-retriable error;
    the work still failed on the provider's side, so it is dead-lettered like exhausted retries.
    A resource refused before any try (the breaker was open already) is not."""
    tries = [
        log
        for log in sync_context().store.list_sync_logs(integration_id=integration.id, limit=200)
        if run_id and log.run_id == run_id and log.resource == resource
    ]
    failed = [log for log in tries if log.status == "failed"]
    if not failed:
        return
    last = failed[0]
    reason = f"{resource}: {last.error_class}: {last.error_message}; then {refusal}"
    _dead_letter(integration, resource, full_refresh, reason, len(tries))


def _dead_letter(
    integration: Integration, resource: str, full_refresh: bool, reason: str, attempts: int
) -> None:
    sync_context().store.add_dead_letter(
        kind="sync",
        integration_id=integration.id,
        payload={
            "integration_id": integration.id,
            "resources": [resource],
            "full_refresh": full_refresh,
        },
        reason=reason,
        attempts=attempts,
    )
