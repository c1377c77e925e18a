"""`backfill`: re-read an integration's history on the `low` queue, resumably.

Each resource is one task whose result is cached by (integration, resource, range): a rerun of
the same backfill, or of a run whose worker died, skips the resources already loaded and reads
the rest; rows merge on (venue_id, id), so whatever is read twice lands once. The date range
names the backfill (and its cache); connectors read the whole history of each resource, since
none of them takes a date window yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from flows.retrying import ResourceFailedError, retry_options
from flows.runtime import sync_context
from flows.sync import sync_resource
from pipelines.context import resources_to_sync

CACHE_DAYS = 7


def _cache_key(context: Any, parameters: dict[str, Any]) -> str:
    return "backfill-{integration_id}-{resource}-{run_id}".format(**parameters)


@flow(name="backfill", flow_run_name="backfill-{integration_id}-{start}-{end}")
def backfill_flow(
    integration_id: str,
    start: date,
    end: date,
    resources: list[str] | None = None,
) -> dict[str, Any]:
    """Full re-read of the resources of one integration for the range start..end."""
    if end < start:
        raise ValueError(f"backfill end {end} is before start {start}: swap them")
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
        state = step(integration_id, name, True, backfill_id, return_state=True)
        if state.is_failed():
            exc = state.result(raise_on_failure=False)
            raise ResourceFailedError(name, getattr(exc, "error_class", None), str(exc))
        outcomes[name] = state.result()
    return {"flow_run": str(flow_run.get_id()), "backfill": backfill_id, "resources": outcomes}
