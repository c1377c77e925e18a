"""The scheduled sync: only integrations with a resource not synced within the interval get a
run, on `normal`, the longest-waiting first and at most `limit` per tick."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from flows.due import due_integrations, sync_due_flow
from flows.sync import sync_resource
from tests.flows.conftest import KEY, backdate
from warehouse.store.types import utcnow

pytestmark = pytest.mark.usefixtures("prefect_server")

MAPPED = ("customers", "charges")  # what tests/flows/specs maps


def _mapped(_: Any) -> tuple[str, ...]:
    return MAPPED


@pytest.fixture
def fleet(ctx, integration, sandbox, store) -> dict[str, Any]:
    """`stale` synced two hours ago, `fresh` just now, `never` not yet, `off` needs a reconnect."""

    def add(name: str) -> Any:
        return store.add_integration(
            tenant_id="t1",
            venue_id=f"v-{name}",
            provider="stripe",
            credentials={"api_key": KEY},
            base_url=sandbox[1].url,
            name=name,
        )

    stale = add("stale")
    for resource in MAPPED:
        sync_resource.fn(stale.id, resource)
    backdate(store, "sync_logs", "started_at", days=2 / 24)
    for resource in MAPPED:
        sync_resource.fn(integration.id, resource)
    never, off = add("never"), add("off")
    store.set_integration_status(off.id, "needs_reconnect", "key revoked")
    return {"stale": stale, "fresh": integration, "never": never, "off": off}


def _runs(ids: list[str]) -> list[Any]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [client.read_flow_run(run_id) for run_id in ids]


def test_only_integrations_not_synced_within_the_interval_are_due_longest_waiting_first(
    store, fleet
):
    due = due_integrations(store, every=timedelta(minutes=60), resources_of=_mapped)

    assert [i.id for i in due] == [fleet["never"].id, fleet["stale"].id]


def test_a_resource_synced_on_its_own_does_not_hold_back_the_others(store, fleet):
    stale = fleet["stale"]
    sync_resource.fn(stale.id, "customers")  # a user's sync of one resource, just now

    due = due_integrations(store, every=timedelta(minutes=60), resources_of=_mapped)

    assert stale.id in {i.id for i in due}, "its charges were last synced two hours ago"
    only_customers = due_integrations(
        store, every=timedelta(minutes=60), resources_of=lambda _: ["customers"]
    )
    assert stale.id not in {i.id for i in only_customers}


def test_a_later_clock_makes_every_active_integration_due(store, fleet):
    later = utcnow() + timedelta(hours=3)

    due = due_integrations(store, every=timedelta(minutes=60), resources_of=_mapped, now=later)

    assert {i.id for i in due} == {fleet[n].id for n in ("never", "stale", "fresh")}


def test_the_flow_starts_normal_queue_batch_runs_of_the_due_integrations(fleet, deployments):
    started = sync_due_flow(every_minutes=60, limit=50)

    (run,) = _runs(started)
    assert run.parameters["integration_ids"] == [fleet["never"].id, fleet["stale"].id]
    assert run.work_queue_name == "normal" and run.parameters["priority"] == "normal"
    assert run.state_type.value == "SCHEDULED"


def test_batches_are_bounded_by_batch_size_and_the_tick_by_limit(fleet, deployments):
    runs = _runs(sync_due_flow(every_minutes=60, limit=50, batch_size=1))
    assert [r.parameters["integration_ids"] for r in runs] == [
        [fleet["never"].id],
        [fleet["stale"].id],
    ]
    started = sync_due_flow(every_minutes=60, limit=1)
    assert [r.parameters["integration_ids"] for r in _runs(started)] == [[fleet["never"].id]]


def test_due_resources_come_from_the_mappings_without_building_connectors(ctx, store, fleet):
    from flows.due import _mapped_resources

    def broken(integration: Any, store: Any) -> Any:
        raise AssertionError("no connector is built to find what is due")

    ctx.connector_factory = broken
    due = due_integrations(store, every=timedelta(minutes=60), resources_of=_mapped_resources(ctx))

    assert ctx.catalog.mapped_resources("stripe") == sorted(MAPPED)
    assert [i.id for i in due] == [fleet["never"].id, fleet["stale"].id]


def test_batches_are_bounded_by_expected_work_and_a_first_sync_goes_with_few(
    store, fleet, deployments
):
    stale, never = fleet["stale"], fleet["never"]
    read = sum(h.rows_read or 0 for h in store.fleet_sync_history()[stale.id].values())
    assert read > 0, "the stale integration's last syncs read rows"

    # `never` is expected to read first_sync_rows per mapped resource, `stale` what it read last
    alone = sync_due_flow(every_minutes=60, batch_rows=read + 1, first_sync_rows=read)
    assert [r.parameters["integration_ids"] for r in _runs(alone)] == [[never.id], [stale.id]]
    together = sync_due_flow(every_minutes=60, batch_rows=3 * read, first_sync_rows=read)
    assert [r.parameters["integration_ids"] for r in _runs(together)] == [[never.id, stale.id]]
