"""Runs rerun after crashes too often give up into the dead letters instead of running forever;
webhook events whose runs keep dying are dead-lettered rather than claimed again and again.

Prefect reads `flow_run.run_count` from PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT when set (its own
way of faking the runtime in tests): a run counted 5 times was rerun 4 times after crashes."""

from __future__ import annotations

import pytest

from flows.backfill import backfill_flow
from flows.reruns import TooManyCrashesError
from flows.sync import sync_integration_flow
from flows.webhooks import apply_webhook_events_flow
from tests.flows.conftest import backdate, store_events, touched_events

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_a_run_rerun_more_than_three_times_dead_letters_its_sync_instead_of_running(
    ctx, integration, store, monkeypatch
):
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT", "5")

    with pytest.raises(TooManyCrashesError, match="rerun 4 times \\(cap 3"):
        sync_integration_flow(integration.id, resources=["customers"])

    assert store.list_sync_logs() == []
    [letter] = store.list_dead_letters()
    assert (letter.kind, letter.attempts) == ("sync", 5)
    assert letter.payload == {
        "integration_id": integration.id,
        "resources": ["customers"],
        "full_refresh": False,
    }


def test_a_run_within_the_cap_syncs_as_usual(ctx, integration, store, monkeypatch):
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT", "4")

    result = sync_integration_flow(integration.id, resources=["customers"])

    assert result["status"] == "success"
    assert store.list_dead_letters() == []


def test_the_cap_comes_from_the_environment(ctx, integration, store, monkeypatch):
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT", "2")
    monkeypatch.setenv("INTSYNC_MAX_CRASH_RERUNS", "0")

    with pytest.raises(TooManyCrashesError, match="cap 0"):
        sync_integration_flow(integration.id, resources=["customers"])


def test_a_backfill_rerun_too_often_is_dead_lettered_with_its_range(
    ctx, integration, store, monkeypatch
):
    from datetime import date

    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT", "9")

    with pytest.raises(TooManyCrashesError):
        backfill_flow(integration.id, date(2024, 1, 1), date(2024, 1, 31))

    [letter] = store.list_dead_letters()
    assert letter.kind == "backfill"
    assert letter.payload == {
        "integration_id": integration.id,
        "start": "2024-01-01",
        "end": "2024-01-31",
        "resources": None,
    }


def test_events_whose_runs_keep_dying_are_dead_lettered_not_applied(
    ctx, integration, sandbox, store
):
    store_events(store, integration, touched_events(sandbox[0], "customers", 2))
    # Two runs claimed them and died before settling; their claims went stale.
    store.claim_inbox_events()
    backdate(store, "webhook_inbox", "claimed_at", days=1)
    store.claim_inbox_events()
    backdate(store, "webhook_inbox", "claimed_at", days=1)

    summary = apply_webhook_events_flow(max_attempts=2)

    assert summary["claimed"] == 2 and summary["applied"] == {}
    letters = store.list_dead_letters()
    assert [(d.kind, d.attempts) for d in letters] == [("webhook", 3), ("webhook", 3)]
    assert "without being settled" in letters[0].reason
    assert (store.inbox_stats()["failed"], store.inbox_stats()["done"]) == (2, 0)
