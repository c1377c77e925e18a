"""The sync flow under a Prefect test server: retries, dead letters, breakers, limits, events."""

from __future__ import annotations

import pytest

from flows.limits import limit_name
from flows.sync import sync_integration_flow
from tests.flows.conftest import KEY, staging_count

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_a_sync_that_fails_transiently_twice_then_succeeds_loads_one_set_of_rows(
    ctx, integration, sandbox, store
):
    sandbox[0].injector.update({"script": [503, 500]})

    result = sync_integration_flow(integration.id, resources=["customers"])

    assert result["status"] == "success"
    assert staging_count(ctx, "stripe_customers") == (12, 12)
    attempts = store.list_sync_logs(integration_id=integration.id)
    assert sorted(log.status for log in attempts) == ["failed", "failed", "success"]
    assert store.list_dead_letters() == []


def test_a_401_is_tried_once_and_the_integration_needs_a_reconnect(
    ctx, integration, sandbox, store
):
    sandbox[0].injector.update({"revoked_credentials": [KEY]})

    with pytest.raises(Exception, match="AuthenticationError"):
        sync_integration_flow(integration.id, resources=["customers", "charges"])

    logs = store.list_sync_logs(integration_id=integration.id)
    assert [log.resource for log in logs] == ["customers"]
    assert store.get_integration(integration.id).status == "needs_reconnect"
    assert store.list_dead_letters() == []
    assert store.get_breaker("provider:stripe") is None
    assert store.get_breaker(f"integration:{integration.id}").consecutive_failures == 1


@pytest.mark.filterwarnings("ignore:Logger 'prefect.task_runs' attempted to send logs")
def test_the_resources_a_401_leaves_untried_carry_its_error_class(ctx, integration, sandbox):
    from flows.sync import run_resources

    sandbox[0].injector.update({"revoked_credentials": [KEY]})

    result = run_resources(integration, ["customers", "charges"], False, None)

    assert result["status"] == "failed"
    classes = [(o["resource"], o["error_class"]) for o in result["resources"]]
    assert classes == [("customers", "AuthenticationError"), ("charges", "AuthenticationError")]
    assert result["resources"][1]["error_message"].startswith("not tried: ")
    assert "reconnect" in result["resources"][1]["error_message"].lower()


def test_consecutive_failures_open_the_breaker_which_then_refuses_syncs(
    ctx, integration, sandbox, store
):
    sandbox[0].injector.update({"script": [500] * 3})

    with pytest.raises(Exception, match="circuit breaker 'provider:stripe' is open after 3"):
        sync_integration_flow(integration.id, resources=["customers"])

    assert store.get_breaker("provider:stripe").state == "open"
    assert store.get_breaker(f"integration:{integration.id}").state == "open"
    with pytest.raises(Exception, match="circuit breaker 'provider:stripe' is open"):
        sync_integration_flow(integration.id, resources=["charges"])


def test_a_sync_emits_started_and_completed_with_the_integration_venue_and_provider(
    ctx, integration, emitted
):
    sync_integration_flow(integration.id, resources=["customers"])

    ours = [e for e in emitted() if e.event.startswith("integration.sync")]
    assert [e.event for e in ours] == ["integration.sync.started", "integration.sync.completed"]
    completed = ours[1]
    roles = {r.role: r.id for r in completed.related}
    assert roles["venue"] == "intsync.venue.v1"
    assert roles["provider"] == "intsync.provider.stripe"
    assert roles["integration"] == f"intsync.integration.{integration.id}"
    assert completed.payload["resources"]["customers"]["rows_loaded"] == 12


def test_a_failed_sync_emits_failed_with_the_reason(ctx, integration, sandbox, emitted):
    sandbox[0].injector.update({"revoked_credentials": [KEY]})

    with pytest.raises(Exception, match="AuthenticationError"):
        sync_integration_flow(integration.id, resources=["customers"])

    failed = [e for e in emitted() if e.event == "integration.sync.failed"]
    assert len(failed) == 1
    assert "reconnect" in failed[0].payload["reason"]


def test_the_account_limit_exists_on_the_server_after_a_sync(ctx, integration):
    from prefect.client.orchestration import get_client

    sync_integration_flow(integration.id, resources=["customers"])

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(limit_name(integration))
    assert limit.limit == 8
    assert limit.active_slots == 0


def test_a_sync_out_of_retries_lands_in_the_dead_letters_with_its_reason(
    ctx, integration, sandbox, store, monkeypatch
):
    monkeypatch.setenv("INTSYNC_BREAKER_FAILURES", "10")
    sandbox[0].injector.update({"script": [500] * 4})

    with pytest.raises(Exception, match="RetriableAPIError"):
        sync_integration_flow(integration.id, resources=["customers"])

    [letter] = store.list_dead_letters()
    assert letter.kind == "sync"
    assert letter.attempts == 4
    assert letter.payload == {
        "integration_id": integration.id,
        "resources": ["customers"],
        "full_refresh": False,
    }
    assert "HTTP 500" in letter.reason


@pytest.mark.slow
def test_a_breaker_opening_between_retries_still_dead_letters_the_resource(
    ctx, integration, sandbox, store, monkeypatch
):
    monkeypatch.setenv("INTSYNC_BREAKER_FAILURES", "2")
    sandbox[0].injector.update({"script": [500, 503]})

    with pytest.raises(Exception, match="circuit breaker 'provider:stripe' is open after 2"):
        sync_integration_flow(integration.id, resources=["customers"])

    [letter] = store.list_dead_letters()
    assert (letter.kind, letter.attempts) == ("sync", 2)
    assert letter.payload["resources"] == ["customers"]
    assert (
        "HTTP 503" in letter.reason and "circuit breaker 'provider:stripe' is open" in letter.reason
    )


def test_a_sync_refused_by_an_already_open_breaker_is_not_dead_lettered(
    ctx, integration, sandbox, store, monkeypatch
):
    monkeypatch.setenv("INTSYNC_BREAKER_FAILURES", "1")
    sandbox[0].injector.update({"script": [500]})
    with pytest.raises(Exception, match="circuit breaker"):
        sync_integration_flow(integration.id, resources=["customers"])
    before = store.list_dead_letters()

    with pytest.raises(Exception, match="circuit breaker 'provider:stripe' is open"):
        sync_integration_flow(integration.id, resources=["charges"])

    assert store.list_dead_letters() == before
