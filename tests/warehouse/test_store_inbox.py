from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.warehouse.conftest import KEY
from warehouse.store import StoreError, open_store
from warehouse.store.group_commit import GroupCommit
from warehouse.store.inbox import NewInboxEvent


def _add(store, event_id: str, integration_id: str = "int_a", body: bytes = b"{}") -> bool:
    return store.add_inbox_event(
        provider="stripe",
        integration_id=integration_id,
        tenant_id="t1",
        venue_id="v1",
        event_id=event_id,
        headers={"Stripe-Signature": "t=1,v1=abc", "Authorization": "Bearer internal"},
        body=body,
    )


def test_an_event_is_stored_once_and_duplicates_are_counted(store):
    assert _add(store, "evt_1", body=b'{"id": "evt_1"}') is True
    assert _add(store, "evt_1") is False
    assert _add(store, "evt_1") is False
    assert _add(store, "evt_1", integration_id="int_b") is True  # another account's event
    assert store.inbox_stats() == {
        "pending": 2,
        "processing": 0,
        "done": 0,
        "failed": 0,
        "duplicates": 2,
    }
    [event, _] = store.claim_inbox_events()
    assert event.body == b'{"id": "evt_1"}'
    assert event.headers == {"Stripe-Signature": "t=1,v1=abc"}  # our own auth header not kept
    assert event.received_at.tzinfo == UTC


def test_claim_marks_processing_and_settles(store):
    for n in range(5):
        _add(store, f"evt_{n}")
    claimed = store.claim_inbox_events(limit=3)
    assert [e.event_id for e in claimed] == ["evt_0", "evt_1", "evt_2"]
    assert all(e.status == "processing" and e.attempts == 1 for e in claimed)
    assert [e.event_id for e in store.claim_inbox_events(limit=10)] == ["evt_3", "evt_4"]
    assert store.claim_inbox_events() == []

    store.mark_inbox_events([claimed[0].id], "done")
    store.mark_inbox_events([claimed[1].id], "pending", error="warehouse busy")
    store.mark_inbox_events([claimed[2].id], "failed", error="bad payload")
    assert store.inbox_stats()["done"] == 1 and store.inbox_stats()["failed"] == 1
    [retried] = store.claim_inbox_events()
    assert (retried.id, retried.attempts, retried.last_error) == (
        claimed[1].id,
        2,
        "warehouse busy",
    )
    with pytest.raises(StoreError, match="'processing' is not one of"):
        store.mark_inbox_events([retried.id], "processing")


def test_claim_can_be_limited_to_one_integration(store):
    _add(store, "evt_1", integration_id="int_a")
    _add(store, "evt_2", integration_id="int_b")
    assert [e.event_id for e in store.claim_inbox_events(integration_id="int_b")] == ["evt_2"]


def test_events_of_a_dead_worker_are_claimable_after_the_lease(store):
    _add(store, "evt_1")
    [first] = store.claim_inbox_events()
    assert store.claim_inbox_events() == []  # still leased
    [again] = store.claim_inbox_events(lease=timedelta(0))
    assert (again.id, again.attempts) == (first.id, 2)


def test_two_claimers_never_get_the_same_event(store, store_url):
    for n in range(200):
        _add(store, f"evt_{n:03}")
    claimers = [open_store(store_url, KEY) for _ in range(4)]
    taken: list[list[int]] = [[] for _ in claimers]
    errors: list[BaseException] = []

    def claim(n: int) -> None:
        try:
            while batch := claimers[n].claim_inbox_events(limit=7):
                taken[n].extend(e.id for e in batch)
                claimers[n].mark_inbox_events([e.id for e in batch], "done")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(claimers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for claimer in claimers:
        claimer.close()
    assert [str(e) for e in errors] == []
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 200
    assert store.inbox_stats()["done"] == 200


def test_prune_removes_only_old_done_events(store):
    _add(store, "evt_1")
    _add(store, "evt_2")
    [first, _] = store.claim_inbox_events()
    store.mark_inbox_events([first.id], "done")
    assert store.prune_inbox(done_before=datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.prune_inbox(done_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.inbox_stats()["processing"] == 1
    assert store.get_inbox_event(first.id) is None


def _new(event_id: str, integration_id: str = "int_a") -> NewInboxEvent:
    return NewInboxEvent("stripe", integration_id, "t1", "v1", event_id, {}, b"{}")


def test_a_batch_of_events_commits_together_and_says_which_were_new(store):
    assert _add(store, "evt_old") is True
    fresh = store.add_inbox_events([_new("evt_1"), _new("evt_old"), _new("evt_2"), _new("evt_1")])
    assert fresh == [True, False, True, False]
    assert store.inbox_stats()["pending"] == 3
    assert store.inbox_stats()["duplicates"] == 2


def test_a_batch_with_an_event_without_id_stores_nothing(store):
    with pytest.raises(StoreError, match="has no event id"):
        store.add_inbox_events([_new("evt_1"), _new("")])
    assert store.inbox_stats()["pending"] == 0


def test_concurrent_webhook_writes_share_commits_and_each_learns_its_own_outcome(store):
    writer = GroupCommit(store.add_inbox_events)
    ids = [f"evt_{n % 150}" for n in range(200)]  # 50 repeats
    outcomes: dict[int, bool] = {}

    def post(n: int) -> None:
        outcomes[n] = writer.submit(_new(ids[n]))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcomes.values()) == 150
    assert store.inbox_stats()["pending"] == 150
    assert store.inbox_stats()["duplicates"] == 50
    assert writer.items == 200 and writer.batches < 200
