"""`backfill`: re-read what an integration's provider created over a range of days, on the `low`
queue, resumably, without moving any cursor.

The range is whole UTC days, `start` through `end` inclusive: each resource reads the objects
created in [start 00:00, end + 1 day 00:00). Connectors that list by creation time (Stripe,
QuickBooks) read only that window; the others read the resource's whole history (the sync log
says so). Either
way no cursor is committed, so the next scheduled sync carries on from where it was.

Each resource is one task whose result is cached by (integration, resource, range): a rerun of
the same backfill, or of a run whose worker died, skips the resources already loaded and reads
the rest; rows merge on (venue_id, id), so whatever is read twice lands once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from flows.reruns import give_up_after_crashes
from flows.retrying import ResourceFailedError, retry_options
from flows.runtime import sync_context
from flows.sync import sync_resource
from pipelines.context import resources_to_sync

CACHE_DAYS = 7


def _cache_key(context: Any, parameters: dict[str, Any]) -> str:
    return "backfill-{integration_id}-{resource}-{run_id}".format(**parameters)


def backfill_window(start: date, end: date, today: date | None = None) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, end + 1 day 00:00 UTC); ValueError naming the fix for a bad range."""
    today = today or datetime.now(UTC).date()
    if end < start:
        raise ValueError(f"backfill end {end} is before start {start}: swap them")
    if start > today:
        raise ValueError(f"backfill start {start} is in the future (today is {today} UTC)")
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


@flow(name="backfill", flow_run_name="backfill-{integration_id}-{start}-{end}")
def backfill_flow(
    integration_id: str,
    start: date,
    end: date,
    resources: list[str] | None = None,
) -> dict[str, Any]:
    """Load what the resources of one integration created from `start` through `end` (UTC days,
    inclusive); cursors stay where they were."""
    window = backfill_window(start, end)
    give_up_after_crashes(
        "backfill",
        integration_id,
        {"integration_id": integration_id, "start": str(start), "end": str(end),
         "resources": resources},
    )  # fmt: skip
    ctx = sync_context()
    integration = ctx.store.get_integration(integration_id)
    names = resources_to_sync(integration, ctx, resources)
    step = sync_resource.with_options(
        **retry_options(),
        cache_key_fn=_cache_key,
        cache_expiration=timedelta(days=CACHE_DAYS),
        persist_result=True,
    )
    backfill_id = f"{integration_id}-{start}-{end}"
    outcomes: dict[str, Any] = {}
    for name in names:
        state = step(integration_id, name, False, backfill_id, window, return_state=True)
        if state.is_failed():
            exc = state.result(raise_on_failure=False)
            failure = exc.failure if isinstance(exc, ResourceFailedError) else None
            raise ResourceFailedError(name, failure, str(exc))
        outcomes[name] = state.result()
    return {"flow_run": str(flow_run.get_id()), "backfill": backfill_id, "resources": outcomes}
