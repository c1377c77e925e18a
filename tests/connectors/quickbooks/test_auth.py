"""Rotating refresh tokens: saved before use, one refresh per realm at a time, safe to kill."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from connectors.errors import AuthenticationError
from connectors.quickbooks.auth import TokenKeeper
from connectors.quickbooks.entities import DISCOVERY_PATH
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.quickbooks.tokens import IntegrationTokenStore, MemoryTokenStore
from connectors.sandbox import SandboxServer
from tests.connectors.quickbooks.conftest import REALM
from warehouse.errors import ConcurrentUpdateError

ROOT = Path(__file__).resolve().parents[3]


def keeper_for(sandbox: QuickBooksSandbox, server: SandboxServer, store) -> TokenKeeper:
    return TokenKeeper(sandbox.credentials(REALM), server.url + DISCOVERY_PATH, store)


def add_integration(store, sandbox: QuickBooksSandbox, server: SandboxServer):
    return store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="quickbooks",
        credentials=sandbox.credentials(REALM),
        base_url=server.url,
    )


def test_the_rotated_refresh_token_is_saved_before_the_access_token_is_used(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, store
):
    integration = add_integration(store, qb_sandbox, qb_server)
    tokens = IntegrationTokenStore(store, integration.id, ConcurrentUpdateError)
    keeper = keeper_for(qb_sandbox, qb_server, tokens)
    access = keeper.access_token()
    saved = store.get_oauth_tokens(integration.id)
    assert saved is not None and saved.version == 1
    assert saved.tokens["access_token"] == access
    assert saved.tokens["refresh_token"] == qb_sandbox.oauth.realms[REALM].current
    assert saved.tokens["refresh_token"] != integration.credentials["refresh_token"]
    assert keeper.access_token() == access, "a valid access token is reused, not refreshed"
    assert qb_sandbox.oauth.realms[REALM].refreshes == 1


def test_a_second_keeper_uses_the_stored_token_not_the_stale_credential(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, store
):
    integration = add_integration(store, qb_sandbox, qb_server)
    tokens = IntegrationTokenStore(store, integration.id, ConcurrentUpdateError)
    first = keeper_for(qb_sandbox, qb_server, tokens)
    first.access_token()
    qb_sandbox.oauth.expire_access(REALM)
    first.rejected(first.access_token())
    first.access_token()  # a second rotation: the credential's refresh token is now refused
    assert qb_sandbox.oauth.refresh(integration.credentials["refresh_token"]) is None
    later = keeper_for(qb_sandbox, qb_server, tokens)
    stored = later.access_token()
    assert stored == first.access_token(), "a token still in date is taken from the store"
    qb_sandbox.oauth.expire_access(REALM)
    later.rejected(stored)
    assert later.access_token() != stored
    assert store.get_oauth_tokens(integration.id).version == 3


def test_threads_of_one_realm_refresh_once(qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer):
    shared = MemoryTokenStore()
    keepers = [keeper_for(qb_sandbox, qb_server, shared) for _ in range(8)]
    qb_sandbox.token_hold = 0.2  # every thread arrives while the first refresh is in flight
    got: list[str] = []
    threads = [threading.Thread(target=lambda k=k: got.append(k.access_token())) for k in keepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 1 and len(got) == 8
    assert qb_sandbox.oauth.realms[REALM].refreshes == 1


def test_a_refused_refresh_token_says_reconnect(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    qb_sandbox.oauth.revoke(REALM)
    keeper = keeper_for(qb_sandbox, qb_server, MemoryTokenStore())
    with pytest.raises(AuthenticationError, match="reconnect") as caught:
        keeper.access_token()
    assert qb_sandbox.credentials(REALM)["refresh_token"] not in str(caught.value)


def test_wrong_client_credentials_are_named(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    creds = {**qb_sandbox.credentials(REALM), "client_secret": "wrong-secret-value"}
    keeper = TokenKeeper(creds, qb_server.url + DISCOVERY_PATH, MemoryTokenStore())
    with pytest.raises(AuthenticationError, match="client_id and client_secret") as caught:
        keeper.access_token()
    assert "wrong-secret-value" not in str(caught.value)


def _worker(store_url: str, integration_id: str, go: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.connectors.quickbooks.token_worker", store_url,
         integration_id, str(go)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_processes_refreshing_at_once_agree_on_one_token(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, store, tmp_path: Path
):
    integration = add_integration(store, qb_sandbox, qb_server)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    go = tmp_path / "go"
    workers = [_worker(store_url, integration.id, go) for _ in range(4)]
    time.sleep(2.0)  # let them import and open the store
    qb_sandbox.token_hold = 0.3
    go.touch()
    outputs = [w.communicate(timeout=60) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    saved = store.get_oauth_tokens(integration.id)
    assert saved.tokens["refresh_token"] == qb_sandbox.oauth.realms[REALM].current
    assert saved.tokens["access_token"] in {out.strip() for out, _ in outputs}
    qb_sandbox.token_hold = 0.0
    qb_sandbox.oauth.expire_access(REALM)
    tokens = IntegrationTokenStore(store, integration.id, ConcurrentUpdateError)
    assert keeper_for(qb_sandbox, qb_server, tokens).access_token(), "the saved token still works"


@pytest.mark.slow
def test_a_process_killed_between_rotation_and_save_leaves_a_working_token(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, store, tmp_path: Path
):
    integration = add_integration(store, qb_sandbox, qb_server)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    go = tmp_path / "go"
    go.touch()
    qb_sandbox.token_hold = 5.0  # the sandbox has rotated; the worker has not heard yet
    worker = _worker(store_url, integration.id, go)
    deadline = time.monotonic() + 30
    while qb_sandbox.oauth.realms[REALM].refreshes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert qb_sandbox.oauth.realms[REALM].refreshes == 1
    worker.kill()
    worker.wait()
    assert store.get_oauth_tokens(integration.id) is None, "killed before it could save"
    qb_sandbox.token_hold = 0.0
    tokens = IntegrationTokenStore(store, integration.id, ConcurrentUpdateError)
    assert keeper_for(qb_sandbox, qb_server, tokens).access_token()
    saved = store.get_oauth_tokens(integration.id)
    assert saved.tokens["refresh_token"] == qb_sandbox.oauth.realms[REALM].current


def test_a_reconnected_company_starts_from_its_new_refresh_token(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, store
):
    integration = add_integration(store, qb_sandbox, qb_server)
    tokens = IntegrationTokenStore(store, integration.id, ConcurrentUpdateError)
    keeper_for(qb_sandbox, qb_server, tokens).access_token()
    qb_sandbox.oauth.revoke(REALM)  # the venue disconnected, then connected again:
    qb_sandbox.oauth.add_realm(REALM, "AB11reconnected-refresh-token")
    store.update_credentials(
        integration.id,
        {**integration.credentials, "refresh_token": "AB11reconnected-refresh-token"},
    )
    fresh = store.get_integration(integration.id).credentials
    keeper = TokenKeeper(fresh, qb_server.url + DISCOVERY_PATH, tokens)
    assert keeper.access_token()
    saved = store.get_oauth_tokens(integration.id)
    assert (
        saved.version == 2
        and saved.tokens["refresh_token"] == qb_sandbox.oauth.realms[REALM].current
    )
