"""The webhook batch flow under a Prefect test server: stored Stripe events land once, one run
per batch, events that keep failing end in the dead letters."""

from __future__ import annotations

import pytest

from flows.webhooks import apply_event_batch, apply_webhook_events_flow
from tests.flows.conftest import staging_count, store_events, touched_events

pytestmark = pytest.mark.usefixtures("prefect_server")


def _task_runs(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return sorted(run.name for run in runs)


def test_stored_events_land_in_staging_once_from_one_flow_run(ctx, integration, sandbox, store):
    events = touched_events(sandbox[0], "customers", 5)
    assert store_events(store, integration, events) == [True] * 5
    assert store_events(store, integration, events[:2]) == [False, False]

    state = apply_webhook_events_flow(return_state=True)

    summary = state.result()
    assert summary["claimed"] == 5
    assert summary["applied"][integration.id]["applied"] == {"customers": 5}
    assert staging_count(ctx, "stripe_customers") == (5, 5)
    assert store.inbox_stats()["done"] == 5
    assert _task_runs(state.state_details.flow_run_id) == [integration.id]


def test_a_second_run_finds_nothing_left_and_loads_nothing_twice(ctx, integration, sandbox, store):
    store_events(store, integration, touched_events(sandbox[0], "customers", 3))
    apply_webhook_events_flow()

    again = apply_webhook_events_flow()

    assert again == {"claimed": 0, "applied": {}, "failed": {}}
    assert staging_count(ctx, "stripe_customers") == (3, 3)


@pytest.mark.slow
def test_events_that_keep_failing_go_to_the_dead_letters_after_max_attempts(
    ctx, integration, sandbox, store
):
    events = touched_events(sandbox[0], "customers", 2)
    store_events(store, integration, events)
    sandbox[0].injector.update({"path_prefix": "/v1/customers", "server_error_probability": 1.0})

    first = apply_webhook_events_flow(max_attempts=2)

    assert first["failed"] == {integration.id: 0}
    assert store.list_dead_letters() == []
    assert store.inbox_stats()["pending"] == 2

    second = apply_webhook_events_flow(max_attempts=2)

    assert second["failed"] == {integration.id: 2}
    letters = store.list_dead_letters()
    assert sorted(d.payload["event_id"] for d in letters) == sorted(e["id"] for e in events)
    assert {(d.kind, d.attempts) for d in letters} == {("webhook", 2)}
    assert all(
        d.reason.startswith("stripe customers cus_") and "HTTP 50" in d.reason for d in letters
    )
    assert store.inbox_stats()["failed"] == 2
    assert apply_webhook_events_flow(max_attempts=2)["claimed"] == 0


def test_an_unreadable_body_is_dead_lettered_at_once_and_the_rest_applied(
    ctx, integration, sandbox, store
):
    store_events(store, integration, touched_events(sandbox[0], "customers", 2))
    store.add_inbox_event(
        provider="stripe",
        integration_id=integration.id,
        tenant_id="t1",
        venue_id="v1",
        event_id="evt_garbled",
        headers={},
        body=b"{not json",
    )
    ids = [row.id for row in store.claim_inbox_events()]

    result = apply_event_batch.fn(integration.id, ids, "run-1")

    assert result["events"] == 2
    assert staging_count(ctx, "stripe_customers") == (2, 2)
    [letter] = store.list_dead_letters()
    assert letter.payload["event_id"] == "evt_garbled"
    assert "unreadable" in letter.reason
    assert store.inbox_stats()["failed"] == 1 and store.inbox_stats()["done"] == 2
