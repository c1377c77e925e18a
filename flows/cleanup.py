"""`clean-up`: retention. Settled webhook inbox rows older than the providers' retry windows,
finished sync logs older than their retention, leftover spool folders of dead runs, and the
staging datasets and dlt folders of removed integrations, are deleted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, task

from flows.runtime import sync_context
from pipelines.loaders import discard_loaders, known_loaders
from pipelines.spool import sweep_abandoned
from warehouse.store.types import utcnow

# Stripe retries deliveries for three days: an event pruned earlier could be applied again.
DEFAULT_INBOX_DAYS = 7
DEFAULT_SPOOL_DAYS = 2
DEFAULT_SYNC_LOG_DAYS = 90


@task(name="prune-inbox")
def prune_inbox(days: float) -> int:
    """Delete `done` inbox rows received more than `days` ago; how many."""
    return sync_context().store.prune_inbox(done_before=utcnow() - timedelta(days=days))


@task(name="prune-sync-logs")
def prune_sync_logs(days: float) -> int:
    """Delete sync logs that finished more than `days` ago (running ones stay); how many."""
    return sync_context().store.prune_sync_logs(finished_before=utcnow() - timedelta(days=days))


@task(name="prune-spools")
def prune_spools(days: float) -> int:
    """Delete spool folders (pages of runs that died before loading) older than `days`; those
    of runs still going stay, however old."""
    return len(sweep_abandoned(Path(sync_context().dlt_dir) / "spool", days * 86400))


@task(name="drop-removed-loaders")
def drop_removed_loaders() -> int:
    """Forget the integrations no longer in the store (removed through the web service, or when
    the warehouse was down): their cursors, and the staging datasets and dlt working folders
    older builds made for each; how many went."""
    ctx = sync_context()
    # found before the store is read: an integration added meanwhile is live, not stale
    found = known_loaders(ctx.warehouse, Path(ctx.dlt_dir))
    live = {integration.id for integration in ctx.store.list_integrations()}
    stale = found - live
    return len(discard_loaders(ctx.warehouse, Path(ctx.dlt_dir), stale))


@flow(name="clean-up")
def cleanup_flow(
    inbox_days: float = DEFAULT_INBOX_DAYS,
    spool_days: float = DEFAULT_SPOOL_DAYS,
    sync_log_days: float = DEFAULT_SYNC_LOG_DAYS,
) -> dict[str, Any]:
    """Apply the retention rules; how much each removed."""
    if inbox_days < 3:
        raise ValueError(
            f"inbox_days={inbox_days}: keep settled events at least 3 days (Stripe redelivers "
            "for three days; a pruned event would be applied again)"
        )
    if sync_log_days < 1:
        raise ValueError(
            f"sync_log_days={sync_log_days}: keep sync logs at least a day (`sync-due` reads the "
            "latest log of each integration to tell whether it is due)"
        )
    return {
        "inbox_rows": prune_inbox(inbox_days),
        "sync_logs": prune_sync_logs(sync_log_days),
        "spool_folders": prune_spools(spool_days),
        "removed_loaders": drop_removed_loaders(),
    }
