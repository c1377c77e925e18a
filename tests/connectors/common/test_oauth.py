"""The common OAuth token keeper: a token near expiry refreshed and saved before use, one writer
winning when several refresh at once (the loser uses the winner's tokens), a refused refresh
token saying reconnect without showing it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.common.oauth import MAX_ROUNDS
from connectors.common.tokenstore import (
    IntegrationTokenStore,
    MemoryTokenStore,
    RecordStore,
)
from connectors.errors import AuthenticationError, RetriableAPIError
from tests.connectors.common.conftest import (
    DemoGrant,
    Reply,
    ScriptedProvider,
    granted,
    oauth_keeper,
)
from warehouse.errors import ConcurrentUpdateError


def other_writer(records: RecordStore, access: str, expires_in: float = 3600) -> None:
    """Another process of the same connection refreshes and saves its tokens."""
    saved = records.load()
    tokens = {"access": access, "refresh": f"{access}-refresh", "source": "conn-1",
              "expires": time.time() + expires_in}  # fmt: skip
    assert records.save(tokens, None, saved.version if saved else None) is not None


@pytest.fixture
def operational(tmp_path: Path) -> Iterator[Any]:
    from warehouse.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'store.db'}", "oauth-test-key-0123456789") as store:
        yield store


@pytest.fixture(params=["memory", "operational store"])
def records(request: pytest.FixtureRequest, operational: Any) -> RecordStore:
    if request.param == "memory":
        return MemoryTokenStore()
    integration = operational.add_integration(
        tenant_id="t1", venue_id="v1", provider="square", credentials={"access_token": "x"}
    )
    return IntegrationTokenStore(operational, integration.id, ConcurrentUpdateError)


def test_a_token_near_expiry_is_refreshed_and_saved_before_it_is_used(provider: ScriptedProvider):
    events: list[str] = []
    records = MemoryTokenStore(on_save=lambda tokens: events.append(f"saved {tokens['access']}"))
    provider.answer("/token", Reply(200, granted("demo-access-1", "demo-refresh-2")))
    provider.answer("/things", Reply(200, {}, then=lambda: events.append("used")))
    grant = DemoGrant(expires_in=30)
    keeper = oauth_keeper(provider.url, records, grant)

    assert grant.transport is not None
    grant.transport.get("/things")
    assert events == ["saved demo-access-1", "used"]
    assert provider.seen[-1] == ("/things", "Bearer demo-access-1")
    assert keeper.access_token() == "demo-access-1" and provider.served("/token") == 1


def test_when_another_writer_saves_during_our_refresh_its_tokens_are_used(
    provider: ScriptedProvider, records: RecordStore
):
    keeper = oauth_keeper(provider.url, records, DemoGrant(expires_in=30))
    racing = Reply(
        200, granted("ours", "ours-refresh"), then=lambda: other_writer(records, "theirs")
    )
    provider.answer("/token", racing)

    assert keeper.access_token() == "theirs"
    saved = records.load()
    assert saved is not None and saved.tokens["access"] == "theirs", "our late save was refused"
    assert keeper.current.version == saved.version, "the next save compares the winner's version"


def test_tokens_another_writer_saved_since_we_read_are_taken_without_refreshing(
    provider: ScriptedProvider, records: RecordStore
):
    keeper = oauth_keeper(provider.url, records, DemoGrant(expires_in=30))
    other_writer(records, "theirs")

    assert keeper.access_token() == "theirs"
    assert provider.served("/token") == 0


def test_a_refused_refresh_token_says_reconnect_without_showing_it(provider: ScriptedProvider):
    provider.answer("/token", Reply(400, {"error": "invalid_grant"}))
    keeper = oauth_keeper(provider.url, MemoryTokenStore(), DemoGrant(expires_in=30))

    with pytest.raises(AuthenticationError, match="reconnect") as caught:
        keeper.access_token()
    assert "demo-refresh-1" not in str(caught.value)


def test_a_refresh_token_another_writer_rotated_meanwhile_is_not_a_reconnect(
    provider: ScriptedProvider, records: RecordStore
):
    rotated = Reply(400, {"error": "invalid_grant"}, then=lambda: other_writer(records, "theirs"))
    provider.answer("/token", rotated)
    keeper = oauth_keeper(provider.url, records, DemoGrant(expires_in=30))

    assert keeper.access_token() == "theirs"


def test_a_refused_access_token_is_not_handed_out_again(provider: ScriptedProvider):
    provider.answer("/token", Reply(200, granted("demo-access-1", "demo-refresh-2")))
    keeper = oauth_keeper(provider.url, MemoryTokenStore())
    assert keeper.access_token() == "demo-access-0"

    assert keeper.rejected("demo-access-0")
    assert keeper.access_token() == "demo-access-1" and keeper.refreshes == 1


def test_tokens_that_keep_changing_give_up_as_retriable(
    provider: ScriptedProvider, records: RecordStore
):
    def expired_by_another_writer() -> None:
        other_writer(records, "stale", expires_in=-10)

    provider.answer(
        "/token",
        *[
            Reply(200, granted("ours", "ours-refresh"), then=expired_by_another_writer)
            for _ in range(MAX_ROUNDS)
        ],
    )
    keeper = oauth_keeper(provider.url, records, DemoGrant(expires_in=30))

    with pytest.raises(RetriableAPIError, match="kept changing"):
        keeper.access_token()
    assert provider.served("/token") == MAX_ROUNDS


def test_tokens_of_an_earlier_connection_give_way_to_the_credentials(provider: ScriptedProvider):
    records = MemoryTokenStore()
    old = {"access": "old-access", "refresh": "old-refresh", "source": "conn-0", "expires": None}
    records.save(old, None, None)
    provider.answer("/token", Reply(200, granted("demo-access-1", "demo-refresh-2")))
    keeper = oauth_keeper(provider.url, records)

    assert keeper.access_token() == "demo-access-0"
    keeper.rejected("demo-access-0")
    assert keeper.access_token() == "demo-access-1"
    saved = records.load()
    assert saved is not None and saved.version == 2 and saved.tokens["source"] == "conn-1"
