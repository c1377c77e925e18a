"""A full refresh marks deleted the rows the provider no longer lists, keeping their values."""

from __future__ import annotations

import time

import orjson

from pipelines.sync import sync_integration
from tests.pipelines.conftest import KEY


def _customers(ctx) -> dict[str, tuple[str | None, bool]]:
    rows = ctx.warehouse.query(
        "select id, email, _deleted_at is not null from staging.stripe_customers"
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_full_refresh_marks_unlisted_rows_deleted_and_keeps_their_values(
    integration, ctx, stripe_sandbox
):
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    before = _customers(ctx)
    doomed = orjson.loads(stripe_sandbox.objects("customers", {"account": KEY}))[0]["id"]
    stripe_sandbox.delete(KEY, "customers", doomed)  # a full read takes no events: only unlisted

    result = sync_integration(integration, ctx, resources=["customers"], full_refresh=True)
    assert result.ok, result.error
    (outcome,) = result.resources
    assert outcome.rows_deleted == 1
    assert "full read: 1 rows the provider no longer lists marked deleted" in outcome.notes
    after = _customers(ctx)
    assert after[doomed] == (before[doomed][0], True), "its last known email is kept"
    assert all(not gone for key, (_, gone) in after.items() if key != doomed)
    core = ctx.warehouse.query(
        f"select _deleted_at is not null from core.customers where id = '{doomed}'"
    )
    assert core == [(True,)]

    again = sync_integration(integration, ctx, resources=["customers"], full_refresh=True)
    assert again.ok and again.resources[0].rows_deleted == 0  # marked once, not again


def test_an_incremental_sync_marks_nothing_it_did_not_hear_of(integration, ctx, stripe_sandbox):
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    result = sync_integration(integration, ctx, resources=["customers"])
    assert result.ok and result.resources[0].rows_deleted == 0
    assert not any(gone for _, gone in _customers(ctx).values())


def test_a_full_reread_after_a_stale_events_cursor_marks_unlisted_rows_deleted(
    integration, ctx, stripe_sandbox
):
    from connectors.stripe.client import StripeConnector

    assert sync_integration(integration, ctx, resources=["customers"]).ok
    doomed = orjson.loads(stripe_sandbox.objects("customers", {"account": KEY}))[0]["id"]
    stripe_sandbox.delete(KEY, "customers", doomed)  # its event is gone 31 days from now

    def a_month_later(integration, store) -> StripeConnector:
        later = time.time() + 31 * 24 * 3600
        return StripeConnector(integration.credentials, integration.base_url, clock=lambda: later)

    ctx.connector_factory = a_month_later
    result = sync_integration(integration, ctx, resources=["customers"])
    assert result.ok, result.error
    (outcome,) = result.resources
    assert any("full re-read" in note for note in outcome.notes), outcome.notes
    assert "full read: 1 rows the provider no longer lists marked deleted" in outcome.notes
    after = _customers(ctx)
    assert after[doomed][1] is True
    assert sum(gone for _, gone in after.values()) == 1
