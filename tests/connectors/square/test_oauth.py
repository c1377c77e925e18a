"""Square OAuth: refreshed ahead of expiry or once on ACCESS_TOKEN_EXPIRED, saved before use."""

from __future__ import annotations

import time

import pytest

from connectors.errors import AuthenticationError
from connectors.square.oauth import Tokens, fingerprint
from connectors.square.sandbox.app import CLIENT_ID, CLIENT_SECRET
from tests.connectors.square.conftest import TOKEN, MemoryTokens

CLIENT = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def _iso(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def test_a_token_older_than_a_week_is_refreshed_and_saved_before_use(connect, square_sandbox):
    store = MemoryTokens(square_sandbox)
    credentials = {"access_token": TOKEN, "refresh_token": f"{TOKEN}-refresh", **CLIENT,
                   "expires_at": _iso(time.time() + 20 * 86400)}  # fmt: skip
    connector = connect(credentials, token_store=store)
    list(connector.read("locations", {}))
    assert square_sandbox.token_requests == 1 and store.saves == 1
    assert store.requests_at_save == [1], "saved right after the token call, before any use"
    assert store.saved is not None and store.saved.access_token != TOKEN
    assert store.saved.expires_at and store.saved.expires_at > time.time() + 29 * 86400
    list(connector.read("customers", {}))
    assert square_sandbox.token_requests == 1, "a fresh token is not refreshed again"


def test_a_saved_token_is_used_over_the_credentials(connect, square_sandbox):
    store = MemoryTokens()
    store.saved = Tokens(
        "EAAAnot-known", f"{TOKEN}-refresh", time.time() + 29 * 86400, 3, fingerprint(TOKEN)
    )
    connector = connect({"access_token": TOKEN, **CLIENT}, token_store=store)
    with pytest.raises(AuthenticationError, match="reconnect"):
        list(connector.read("locations", {}))


def test_tokens_saved_for_an_earlier_connection_give_way_to_new_credentials(connect):
    store = MemoryTokens()
    store.saved = Tokens(
        "EAAAnot-known", "old-refresh", time.time() + 29 * 86400, 3, fingerprint("EAAAold")
    )
    connector = connect({"access_token": TOKEN}, token_store=store)
    assert len([r for p in connector.read("locations", {}) for r in p.records]) == 12
    assert connector.tokens.current.version == 3, "the next save still compares versions"


def test_an_expired_token_refreshes_once_then_retries(connect, square_sandbox):
    square_sandbox.mutate({"action": "expire_token", "token": TOKEN})
    store = MemoryTokens(square_sandbox)
    credentials = {"access_token": TOKEN, "refresh_token": f"{TOKEN}-refresh", **CLIENT,
                   "expires_at": _iso(time.time() + 29 * 86400)}  # fmt: skip
    records = [r for p in connect(credentials, token_store=store).read("locations", {})
               for r in p.records]  # fmt: skip
    assert len(records) == 12
    assert square_sandbox.token_requests == 1 and store.saves == 1
    by_status = square_sandbox.stats.snapshot()["by_status"]
    assert by_status.get("401") == 1 and by_status.get("200") == 2


def test_an_expired_token_without_refresh_credentials_says_reconnect(connect, square_sandbox):
    square_sandbox.mutate({"action": "expire_token", "token": TOKEN})
    with pytest.raises(AuthenticationError, match="ACCESS_TOKEN_EXPIRED.*reconnect"):
        list(connect().read("locations", {}))
    assert square_sandbox.token_requests == 0


def test_when_another_process_saved_first_its_tokens_are_used(connect, square_sandbox):
    store = MemoryTokens()
    credentials = {"access_token": TOKEN, "refresh_token": f"{TOKEN}-refresh", **CLIENT,
                   "expires_at": _iso(time.time() + 86400)}  # fmt: skip
    connector = connect(credentials, token_store=store)
    # Another worker refreshes and saves after this connector loaded (nothing saved then).
    store.saved = Tokens(TOKEN, f"{TOKEN}-refresh", time.time() + 30 * 86400, 1)
    list(connector.read("locations", {}))
    assert connector.tokens.current.version == 1 and connector.tokens.token() == TOKEN
    assert store.saves == 0
