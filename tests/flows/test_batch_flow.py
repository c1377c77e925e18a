"""The batch flow under a Prefect test server: many integrations in one run, each with its own
breakers, retries, dead letters and events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from flows.batch import BatchFailedError, sync_batch_flow
from tests.flows.conftest import COUNTS
from warehouse.cursors import read_cursors

pytestmark = pytest.mark.usefixtures("prefect_server")

KEYS = ("sk_test_batch_a", "sk_test_batch_b", "sk_test_batch_c")


@pytest.fixture
def accounts() -> Iterator[tuple[StripeSandbox, SandboxServer]]:
    app = StripeSandbox({key: SeedSpec(seed=30 + n, counts=COUNTS) for n, key in enumerate(KEYS)})
    with SandboxServer(app) as server:
        yield app, server


@pytest.fixture
def fleet(ctx, store, accounts) -> list[Any]:
    return [
        store.add_integration(
            tenant_id="t1",
            venue_id=f"v-{key[-1]}",
            provider="stripe",
            credentials={"api_key": key},
            base_url=accounts[1].url,
        )
        for key in KEYS
    ]


def _venues(ctx: Any) -> list[tuple[str, int]]:
    return ctx.warehouse.query(
        "select venue_id, count(*) from staging.stripe_customers group by 1 order by 1"
    )


def test_a_batch_syncs_every_integration_in_one_run(ctx, store, fleet, emitted):
    summary = sync_batch_flow([i.id for i in fleet], concurrency=3)

    assert summary == {"integrations": 3, "failed": []}
    assert _venues(ctx) == [("v-a", 12), ("v-b", 12), ("v-c", 12)]
    with ctx.warehouse.writer() as held:
        cursors = read_cursors(ctx.warehouse, [i.id for i in fleet], held)
    assert sorted(cursors) == sorted(i.id for i in fleet)
    names = [e.event for e in emitted()]
    assert names.count("integration.sync.started") == 3
    assert names.count("integration.sync.completed") == 3


def test_a_failure_is_one_integrations_the_others_commit(ctx, store, fleet, accounts, emitted):
    accounts[0].injector.update({"revoked_credentials": [KEYS[1]]})

    with pytest.raises(BatchFailedError, match="1 of 3 failed"):
        sync_batch_flow([i.id for i in fleet], concurrency=3)

    assert _venues(ctx) == [("v-a", 12), ("v-c", 12)]
    assert store.get_integration(fleet[1].id).status == "needs_reconnect"
    with ctx.warehouse.writer() as held:
        assert fleet[1].id not in read_cursors(ctx.warehouse, [i.id for i in fleet], held)
    assert store.list_dead_letters() == [], "a 401 is not retried or dead-lettered"
    assert store.get_breaker(f"integration:{fleet[1].id}").consecutive_failures == 1
    names = [e.event for e in emitted()]
    assert names.count("integration.sync.failed") == 1


def test_a_retriable_failure_is_retried_for_that_integration_alone(ctx, store, fleet, accounts):
    accounts[0].injector.update({"script": [503, 500]})  # the first integration's first two

    assert sync_batch_flow([i.id for i in fleet], concurrency=1)["failed"] == []

    assert _venues(ctx) == [("v-a", 12), ("v-b", 12), ("v-c", 12)]
    runs = {i.id: {log.run_id for log in store.list_sync_logs(integration_id=i.id)} for i in fleet}
    assert [len(runs[i.id]) for i in fleet] == [2, 1, 1], "only the first was synced again"
    assert store.list_dead_letters() == []


def test_integrations_out_of_retries_land_in_the_dead_letters(
    ctx, store, fleet, accounts, monkeypatch
):
    monkeypatch.setenv("INTSYNC_BREAKER_FAILURES", "50")
    accounts[0].injector.update({"script": [500] * 200})

    with pytest.raises(BatchFailedError, match="3 of 3 failed"):
        sync_batch_flow([i.id for i in fleet[:1]] + [i.id for i in fleet[1:]], concurrency=3)

    letters = store.list_dead_letters()
    assert sorted(letter.integration_id for letter in letters) == sorted(i.id for i in fleet)
    assert {letter.attempts for letter in letters} == {4}
    assert all("HTTP 500" in letter.reason for letter in letters)
