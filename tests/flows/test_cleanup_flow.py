"""The clean-up flow: settled inbox rows and finished sync logs past their retention go; pending
events, running logs and recent rows stay."""

from __future__ import annotations

import pytest

from flows.cleanup import cleanup_flow, prune_spools
from flows.sync import sync_resource
from tests.flows.conftest import KEY, backdate, store_events, touched_events

pytestmark = pytest.mark.usefixtures("prefect_server")


def _settle(store, status: str, count: int) -> None:
    ids = [row.id for row in store.claim_inbox_events(limit=count)]
    store.mark_inbox_events(ids, status)


def test_settled_inbox_rows_past_the_retention_are_pruned_and_pending_ones_never(
    ctx, integration, sandbox, store
):
    store_events(store, integration, touched_events(sandbox[0], "customers", 6))
    _settle(store, "done", 3)
    backdate(store, "webhook_inbox", "received_at", days=10)

    removed = cleanup_flow(inbox_days=7)

    assert removed["inbox_rows"] == 3
    stats = store.inbox_stats()
    assert (stats["done"], stats["pending"]) == (0, 3)


def test_recent_settled_rows_stay(ctx, integration, sandbox, store):
    store_events(store, integration, touched_events(sandbox[0], "customers", 2))
    _settle(store, "done", 2)
    backdate(store, "webhook_inbox", "received_at", days=5)

    assert cleanup_flow(inbox_days=7)["inbox_rows"] == 0
    assert store.inbox_stats()["done"] == 2


def test_sync_logs_finished_before_the_retention_are_pruned(ctx, integration, store):
    sync_resource.fn(integration.id, "customers")
    backdate(store, "sync_logs", "finished_at", days=100)
    sync_resource.fn(integration.id, "charges")

    removed = cleanup_flow(sync_log_days=90)

    assert removed["sync_logs"] == 1
    assert [log.resource for log in store.list_sync_logs()] == ["charges"]


def test_retention_shorter_than_the_providers_redelivery_is_refused(ctx):
    with pytest.raises(ValueError, match=r"inbox_days=1\.0: keep settled events at least 3 days"):
        cleanup_flow(inbox_days=1)
    with pytest.raises(ValueError, match=r"sync_log_days=0\.5: keep sync logs at least a day"):
        cleanup_flow(sync_log_days=0.5)


def test_only_spool_folders_older_than_the_retention_go(ctx, tmp_path):
    import os
    import time

    from pipelines.spool import Spool

    old, new = ctx.dlt_dir / "spool" / "run-old", ctx.dlt_dir / "spool" / "run-new"
    old.mkdir(parents=True)
    new.mkdir()
    running = Spool.temporary(ctx.dlt_dir / "spool", "run-long-")  # this process: still going
    stale = time.time() - 3 * 86400
    for folder in (old, running.root):
        os.utime(folder, (stale, stale))

    assert prune_spools.fn(2) == 1
    assert sorted(p.name for p in (ctx.dlt_dir / "spool").iterdir()) == sorted(
        ["run-new", running.root.name]
    )


def test_removed_integrations_lose_their_cursors_and_keep_their_rows(
    ctx, integration, sandbox, store
):
    from warehouse.cursors import cursor_owners

    other = store.add_integration(
        tenant_id="t1",
        venue_id="v2",
        provider="stripe",
        credentials={"api_key": KEY, "webhook_secret": "whsec_flows"},
        base_url=sandbox[1].url,
    )
    for synced in (integration, other):
        sync_resource.fn(synced.id, "customers")
    assert cursor_owners(ctx.warehouse) == {integration.id, other.id}
    # what a build with loaders per integration left of the removed one
    (ctx.dlt_dir / f"intsync_{other.id}_staging").mkdir()
    with ctx.warehouse.connect() as con:
        con.cursor().execute(f'create schema "staging_load_{other.id}"')
    store.remove_integration(other.id)

    assert cleanup_flow()["removed_loaders"] > 0
    assert cursor_owners(ctx.warehouse) == {integration.id}
    assert ctx.warehouse.loader_datasets() == {}
    folders = {p.name for p in ctx.dlt_dir.iterdir() if p.name.startswith("intsync_")}
    assert folders and folders <= {"intsync_raw", "intsync_core", "intsync_staging", "intsync_ops"}
    venues = ctx.warehouse.query("select distinct venue_id from staging.stripe_customers")
    assert sorted(venues) == [("v1",), ("v2",)], "the removed venue's rows stay"
    assert cleanup_flow()["removed_loaders"] == 0
