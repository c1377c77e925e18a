"""`apply-webhook-events`: one run applies a batch of stored webhook events (never one run per
event); the batch is a task that retries retriable failures; events that keep failing are
dead-lettered with their reason."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.runtime import flow_run

from flows import events
from flows.limits import account_slot
from flows.retrying import retry_options
from flows.runtime import sync_context
from pipelines.context import parse_webhook
from pipelines.events import apply_webhook_events

if TYPE_CHECKING:
    from warehouse.store import Store

DEFAULT_BATCH = 500
# Claims of one event (each claim tries the task with its retries) before it is dead-lettered.
DEFAULT_MAX_ATTEMPTS = 3


@task(name="apply-event-batch", task_run_name="{integration_id}")
def apply_event_batch(integration_id: str, inbox_ids: list[int], run_id: str) -> dict[str, Any]:
    """Parse the claimed inbox rows and merge the objects they name; mark them done.

    Rows that cannot be parsed are dead-lettered at once (retrying cannot fix a body)."""
    ctx = sync_context()
    integration = ctx.store.get_integration(integration_id)
    parsed, unreadable = [], []
    for inbox_id in inbox_ids:
        row = ctx.store.get_inbox_event(inbox_id)
        assert row is not None  # claimed by this run just before
        try:
            parsed.extend(parse_webhook(row.provider, row.headers, row.body))
        except Exception as exc:  # noqa: BLE001 - any parser failure is this row's problem
            unreadable.append(row.id)
            _dead_letter(ctx.store, row, f"unreadable: {type(exc).__name__}: {exc}")
    ctx.store.mark_inbox_events(unreadable, "failed", "unreadable body: see dead letters")
    with account_slot(integration):
        result = apply_webhook_events(integration, parsed, ctx, run_id=run_id)
    readable = [i for i in inbox_ids if i not in unreadable]
    ctx.store.mark_inbox_events(readable, "done")
    events.events_imported(integration, run_id, result.applied, len(parsed))
    return {"events": len(parsed), "applied": result.applied, "ignored": len(result.ignored)}


@flow(name="apply-webhook-events", flow_run_name="webhooks-{integration_id}")
def apply_webhook_events_flow(
    integration_id: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> dict[str, Any]:
    """Claim up to `batch_size` pending events (of one integration, or all) and apply them, one
    task per integration."""
    store = sync_context().store
    claimed = store.claim_inbox_events(limit=batch_size, integration_id=integration_id)
    by_integration: dict[str, list[Any]] = defaultdict(list)
    for row in _drop_unsettled(store, claimed, max_attempts):
        by_integration[row.integration_id].append(row)
    run_id = (flow_run.get_id() or "").replace("-", "") or "local"
    step = apply_event_batch.with_options(**retry_options())
    summary: dict[str, Any] = {"claimed": len(claimed), "applied": {}, "failed": {}}
    for target, rows in by_integration.items():
        state = step(target, [r.id for r in rows], run_id, return_state=True)
        if state.is_failed():
            reason = str(state.result(raise_on_failure=False))
            summary["failed"][target] = _settle_failed(store, rows, reason, max_attempts)
        else:
            summary["applied"][target] = state.result()
    return summary


def _drop_unsettled(store: Store, rows: list[Any], max_attempts: int) -> list[Any]:
    """Dead-letter events claimed more than `max_attempts` times: a failed batch settles them at
    `max_attempts`, so only runs that died while applying them (a poison event) get them here.
    The rest, to apply."""
    dead = [r for r in rows if r.attempts > max_attempts]
    reason = (
        f"claimed more than {max_attempts} times without being settled: the runs applying it "
        "died (out of memory, killed); see the workers' logs"
    )
    for row in dead:
        _dead_letter(store, row, reason)
    store.mark_inbox_events([r.id for r in dead], "failed", reason)
    return [r for r in rows if r.attempts <= max_attempts]


def _settle_failed(store: Store, rows: list[Any], reason: str, max_attempts: int) -> int:
    """Back to pending for the next batch, or dead letters once out of attempts; how many died."""
    spent = [r for r in rows if r.attempts >= max_attempts]
    again = [r.id for r in rows if r.attempts < max_attempts]
    store.mark_inbox_events(again, "pending", reason)
    for row in spent:
        _dead_letter(store, row, reason)
    store.mark_inbox_events([r.id for r in spent], "failed", reason)
    return len(spent)


def _dead_letter(store: Store, row: Any, reason: str) -> None:
    store.add_dead_letter(
        kind="webhook",
        integration_id=row.integration_id,
        payload={"inbox_id": row.id, "provider": row.provider, "event_id": row.event_id},
        reason=reason,
        attempts=row.attempts,
    )
