"""`sync-due`: the scheduled sync. Finds the integrations due a sync and fans out one
`sync-integration` run each on the `normal` queue, at most `limit` per tick; the queue's
concurrency limit bounds how many run at once across every worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.deployments import run_deployment

from flows.runtime import sync_context
from warehouse.store.types import utcnow

SYNC_DEPLOYMENT = "sync-integration/sync-integration"


def due_integrations(
    store: Any, *, every: timedelta, now: datetime | None = None, limit: int = 100
) -> list[Any]:
    """Active integrations whose last sync started more than `every` ago (or never), the
    longest-waiting first."""
    now = now or utcnow()
    waiting: list[tuple[datetime, Any]] = []
    for integration in store.list_integrations():
        if integration.status != "active":
            continue
        last = store.list_sync_logs(integration_id=integration.id, limit=1)
        started = last[0].started_at if last else datetime.min.replace(tzinfo=now.tzinfo)
        if now - started >= every:
            waiting.append((started, integration))
    waiting.sort(key=lambda pair: pair[0])
    return [integration for _, integration in waiting[:limit]]


@flow(name="sync-due")
def sync_due_flow(every_minutes: float = 60, limit: int = 50) -> list[str]:
    """Start a `sync-integration` run (queue `normal`) for each due integration; their ids."""
    due = due_integrations(
        sync_context().store, every=timedelta(minutes=every_minutes), limit=limit
    )
    started: list[str] = []
    for integration in due:
        run = run_deployment(
            SYNC_DEPLOYMENT,
            parameters={"integration_id": integration.id, "priority": "normal"},
            work_queue_name="normal",
            timeout=0,
            as_subflow=False,
        )
        started.append(str(run.id))
    get_run_logger().info("started %d syncs of %d due integrations", len(started), len(due))
    return started
