from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from warehouse.store import NotFoundError


@pytest.fixture
def integration(store):
    return store.add_integration(
        tenant_id="t1", venue_id="v1", provider="stripe", credentials={"api_key": "sk_test_x"}
    )


def test_a_log_records_the_run_from_start_to_finish(store, integration):
    log_id = store.start_sync_log(
        integration=integration, resource="charges", run_id="run-1", cursor_before="100"
    )
    running = store.list_sync_logs(venue_id="v1")[0]
    assert (running.id, running.status, running.finished_at) == (log_id, "running", None)
    store.finish_sync_log(
        log_id,
        status="success",
        rows_extracted=10,
        rows_loaded=9,
        rows_deleted=1,
        rows_quarantined=1,
        cursor_after="200",
        details={"notes": ["cursor older than 30 days"], "expected_total": 10},
    )
    log = store.get_sync_log(log_id)
    assert (log.tenant_id, log.venue_id, log.provider, log.integration_id) == (
        "t1",
        "v1",
        "stripe",
        integration.id,
    )
    assert (log.rows_extracted, log.rows_loaded, log.rows_deleted, log.rows_quarantined) == (
        10,
        9,
        1,
        1,
    )
    assert (log.cursor_before, log.cursor_after) == ("100", "200")
    assert log.details == {"notes": ["cursor older than 30 days"], "expected_total": 10}
    assert log.started_at.tzinfo == UTC and log.finished_at >= log.started_at
    as_json = json.loads(json.dumps(log.to_dict()))
    assert as_json["started_at"].endswith("+00:00")
    assert as_json["status"] == "success" and as_json["duration_s"] >= 0


def test_failure_keeps_error_class_and_a_bounded_message(store, integration):
    log_id = store.start_sync_log(
        integration=integration, resource="customers", run_id="run-1", cursor_before=None
    )
    store.finish_sync_log(
        log_id, status="failed", error_class="AuthenticationError", error_message="x" * 10_000
    )
    log = store.get_sync_log(log_id)
    assert log.error_class == "AuthenticationError"
    assert len(log.error_message) == 4000 and log.error_message.endswith("...")


def test_logs_come_newest_first_and_page_back(store, integration):
    ids = [
        store.start_sync_log(
            integration=integration, resource=f"r{n}", run_id="run", cursor_before=None
        )
        for n in range(5)
    ]
    first = store.list_sync_logs(venue_id="v1", limit=2)
    assert [log.id for log in first] == ids[:-3:-1]
    second = store.list_sync_logs(venue_id="v1", limit=2, before_id=first[-1].id)
    assert [log.id for log in second] == [ids[2], ids[1]]


def test_filters_by_venue_tenant_integration_and_since(store, integration):
    other = store.add_integration(
        tenant_id="t2", venue_id="v2", provider="square", credentials={"access_token": "EAAA"}
    )
    mine = store.start_sync_log(
        integration=integration, resource="charges", run_id="a", cursor_before=None
    )
    theirs = store.start_sync_log(
        integration=other, resource="payments", run_id="b", cursor_before=None
    )
    assert [log.id for log in store.list_sync_logs(venue_id="v1")] == [mine]
    assert [log.id for log in store.list_sync_logs(tenant_id="t2")] == [theirs]
    assert [log.id for log in store.list_sync_logs(integration_id=other.id)] == [theirs]
    assert len(store.list_sync_logs()) == 2
    # `since` compares instants, whatever timezone the caller's datetime is in.
    ahead = datetime.now(timezone(timedelta(hours=-5))) + timedelta(minutes=1)
    behind = datetime.now(timezone(timedelta(hours=9))) - timedelta(minutes=1)
    assert store.list_sync_logs(since=ahead) == []
    assert len(store.list_sync_logs(since=behind)) == 2


def test_naive_datetimes_are_refused(store):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.list_sync_logs(since=datetime(2024, 1, 1))


def test_finishing_an_unknown_log_raises(store):
    with pytest.raises(NotFoundError, match="no sync log 999"):
        store.finish_sync_log(999, status="success")


def test_pruning_removes_logs_finished_before_the_cutoff_and_keeps_running_ones(store, integration):
    done = store.start_sync_log(
        integration=integration, resource="charges", run_id="old", cursor_before=None
    )
    store.finish_sync_log(done, status="success")
    failed = store.start_sync_log(
        integration=integration, resource="refunds", run_id="old", cursor_before=None
    )
    store.finish_sync_log(failed, status="failed", error_class="RetriableAPIError")
    running = store.start_sync_log(
        integration=integration, resource="customers", run_id="new", cursor_before=None
    )

    assert store.prune_sync_logs(finished_before=datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.prune_sync_logs(finished_before=datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert [log.id for log in store.list_sync_logs()] == [running]
    with pytest.raises(NotFoundError):
        store.get_sync_log(done)


def test_each_resources_last_start_is_known_and_only_for_its_integration(store, integration):
    other = store.add_integration(
        tenant_id="t1", venue_id="v2", provider="stripe", credentials={"api_key": "sk_test_y"}
    )
    for resource, run in [("charges", "r1"), ("customers", "r1"), ("charges", "r2")]:
        store.start_sync_log(
            integration=integration, resource=resource, run_id=run, cursor_before=None
        )
    store.start_sync_log(integration=other, resource="refunds", run_id="r3", cursor_before=None)
    logs = {(log.resource, log.run_id): log.started_at for log in store.list_sync_logs()}

    starts = store.last_sync_starts(integration.id)

    assert starts == {"charges": logs[("charges", "r2")], "customers": logs[("customers", "r1")]}
    assert all(started.tzinfo is not None for started in starts.values())
    assert store.last_sync_starts("int_unknown") == {}


def test_the_fleets_history_has_each_last_start_and_the_rows_of_the_last_success(
    store, integration
):
    other = store.add_integration(
        tenant_id="t1", venue_id="v2", provider="stripe", credentials={"api_key": "sk_test_y"}
    )

    def sync(owner, resource: str, run: str, status: str | None, rows: int) -> None:
        log_id = store.start_sync_log(
            integration=owner, resource=resource, run_id=run, cursor_before=None
        )
        if status is not None:
            store.finish_sync_log(log_id, status=status, rows_extracted=rows)

    sync(integration, "charges", "r1", "success", 500)
    sync(integration, "charges", "r2", "success", 40)
    sync(integration, "charges", "r3", "failed", 0)  # the newest: starts count, rows do not
    sync(integration, "customers", "r3", None, 0)  # running, never succeeded
    sync(other, "charges", "r4", "success", 7)
    logs = {(log.resource, log.run_id): log.started_at for log in store.list_sync_logs()}

    history = store.fleet_sync_history()

    charges, customers = history[integration.id]["charges"], history[integration.id]["customers"]
    assert (charges.started_at, charges.rows_read) == (logs[("charges", "r3")], 40)
    assert (customers.started_at, customers.rows_read) == (logs[("customers", "r3")], None)
    assert history[other.id]["charges"].rows_read == 7
    assert set(history) == {integration.id, other.id}


def test_a_log_keeps_the_versions_of_the_specs_it_mapped_with(store, integration):
    versions = {"staging.stripe_charges": "sha256:0123456789ab", "core.payments": "sha256:ba98"}
    log_id = store.start_sync_log(
        integration=integration,
        resource="charges",
        run_id="run-1",
        cursor_before=None,
        spec_versions=versions,
    )
    store.finish_sync_log(log_id, status="success")
    assert store.get_sync_log(log_id).spec_versions == versions
    assert store.list_sync_logs(venue_id="v1")[0].to_dict()["spec_versions"] == versions
    unversioned = store.start_sync_log(
        integration=integration, resource="refunds", run_id="run-1", cursor_before=None
    )
    assert store.get_sync_log(unversioned).spec_versions is None
