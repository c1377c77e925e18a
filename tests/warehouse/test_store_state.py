from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.warehouse.raw import raw_store_bytes
from warehouse.store import BreakerState, ConcurrentUpdateError, NotFoundError, StoreError
from warehouse.store.nonces import PRUNE_EVERY
from warehouse.store.schema import service_nonces


@pytest.fixture
def integration(store):
    return store.add_integration(
        tenant_id="t",
        venue_id="v",
        provider="quickbooks",
        credentials={"client_id": "c", "client_secret": "s", "refresh_token": "r", "realm_id": "1"},
    )


def test_oauth_tokens_are_compare_and_swapped(store, integration, store_url):
    assert store.get_oauth_tokens(integration.id) is None
    expires = datetime.now(UTC) + timedelta(hours=1)
    tokens = {"access_token": "at_SECRET_1", "refresh_token": "rt_SECRET_1"}
    assert (
        store.save_oauth_tokens(integration.id, tokens, expires_at=expires, expected_version=None)
        == 1
    )
    with pytest.raises(ConcurrentUpdateError, match="version 1, not None"):
        store.save_oauth_tokens(integration.id, tokens, expires_at=expires, expected_version=None)

    current = store.get_oauth_tokens(integration.id)
    assert (current.tokens, current.version, current.expires_at) == (tokens, 1, expires)
    # Two refreshers read version 1; the first to save wins, the second is told to re-read.
    assert (
        store.save_oauth_tokens(
            integration.id, {"access_token": "at_SECRET_2"}, expires_at=None, expected_version=1
        )
        == 2
    )
    with pytest.raises(ConcurrentUpdateError, match="at version 2, not 1"):
        store.save_oauth_tokens(
            integration.id, {"access_token": "at_SECRET_3"}, expires_at=None, expected_version=1
        )
    assert store.get_oauth_tokens(integration.id).tokens == {"access_token": "at_SECRET_2"}
    assert b"at_SECRET" not in raw_store_bytes(store_url)


def test_oauth_tokens_need_an_integration_and_go_with_it(store, integration):
    with pytest.raises(NotFoundError, match="int_missing"):
        store.save_oauth_tokens("int_missing", {"a": "b"}, expires_at=None, expected_version=None)
    store.save_oauth_tokens(integration.id, {"a": "b"}, expires_at=None, expected_version=None)
    store.remove_integration(integration.id)
    assert store.get_oauth_tokens(integration.id) is None


def test_dead_letters_are_kept_listed_and_deleted(store):
    first = store.add_dead_letter(
        kind="webhook",
        integration_id="int_a",
        payload={"event_id": "evt_1"},
        reason="bad",
        attempts=5,
    )
    second = store.add_dead_letter(
        kind="sync", integration_id=None, payload={"resource": "charges"}, reason="401", attempts=3
    )
    assert [d.id for d in store.list_dead_letters()] == [second, first]
    assert [d.id for d in store.list_dead_letters(limit=1)] == [second]
    letter = store.get_dead_letter(first)
    assert (letter.kind, letter.payload, letter.attempts) == ("webhook", {"event_id": "evt_1"}, 5)
    assert letter.to_dict()["created_at"].endswith("+00:00")
    assert store.count_dead_letters() == 2
    store.delete_dead_letter(first)
    with pytest.raises(NotFoundError):
        store.get_dead_letter(first)
    with pytest.raises(NotFoundError):
        store.delete_dead_letter(first)


def test_breakers_are_saved_and_replaced(store):
    assert store.get_breaker("stripe:acct_1") is None
    opened = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    store.save_breaker(BreakerState("stripe:acct_1", "open", 5, opened_at=opened))
    store.save_breaker(BreakerState("square:loc_1"))
    got = store.get_breaker("stripe:acct_1")
    assert (got.state, got.consecutive_failures, got.opened_at) == ("open", 5, opened)
    assert got.updated_at is not None
    store.save_breaker(BreakerState("stripe:acct_1", "half_open", 5, opened_at=opened))
    assert [(b.name, b.state) for b in store.list_breakers()] == [
        ("square:loc_1", "closed"),
        ("stripe:acct_1", "half_open"),
    ]
    with pytest.raises(StoreError, match="'broken' is not one of"):
        store.save_breaker(BreakerState("x", "broken"))


def test_a_nonce_is_accepted_once_until_it_expires(store):
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert store.remember_nonce("compliance-service", "n-1", later) is True
    assert store.remember_nonce("compliance-service", "n-1", later) is False
    assert store.remember_nonce("monitoring-service", "n-1", later) is True
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert store.remember_nonce("compliance-service", "n-2", past) is True
    # n-2's sighting has expired: the replay window is over, so it counts as new (and is renewed).
    assert store.remember_nonce("compliance-service", "n-2", later) is True
    assert store.remember_nonce("compliance-service", "n-2", later) is False


def test_expired_nonces_are_pruned(store):
    past = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(3):
        store.remember_nonce("svc", f"old-{n}", past)
    store.remember_nonce("svc", "current", datetime.now(UTC) + timedelta(minutes=5))
    assert store.prune_nonces() == 3


def test_expired_nonces_are_pruned_now_and_then_without_asking(store):
    past = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(PRUNE_EVERY):
        assert store.remember_nonce("svc", f"old-{n}", past) is True
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(service_nonces)).scalar() == 0
