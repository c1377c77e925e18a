"""`intsync integrations add` and `update` try the connection first (one authenticated request
to the provider), unless --no-check; `update` keeps the integration's id."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.acceptance.conftest import INTSYNC, Sandbox, start_sandbox, stop

GOOD = "sk_test_check_good"
WRONG = "sk_test_check_wrong"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    started = start_sandbox("stripe", "--api-key", GOOD)
    try:
        yield started
    finally:
        stop(started.process)


def intsync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [INTSYNC, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def add(env: dict[str, str], url: str, key: str, *extra: str) -> subprocess.CompletedProcess:
    return intsync(
        env, "integrations", "add", "--tenant", "t1", "--venue", "v1", "--provider", "stripe",
        "--base-url", url, "--credential", f"api_key={key}", *extra,
    )  # fmt: skip


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    return list(json.loads(intsync(env, "integrations", "list", "--json").stdout))


@pytest.mark.slow
def test_add_tries_the_credentials_and_stores_only_those_that_work(intsync_env, sandbox):
    url = sandbox.urls["stripe"]

    refused = add(intsync_env, url, WRONG)
    accepted = add(intsync_env, url, GOOD, "--json")

    assert refused.returncode == 1
    assert "stripe refused the credentials" in refused.stderr
    assert "--no-check" in refused.stderr and WRONG not in refused.stderr
    assert "stripe answered" in accepted.stderr
    assert [i["id"] for i in listed(intsync_env)] == [json.loads(accepted.stdout)["id"]]


@pytest.mark.slow
def test_add_says_when_the_provider_is_unreachable_and_no_check_stores_it_anyway(
    intsync_env, sandbox
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**intsync_env, "INTSYNC_UNREACHABLE_SECONDS": "1"}

    refused = add(env, url, GOOD)
    unchecked = add(env, url, GOOD, "--no-check", "--json")

    assert refused.returncode == 1
    assert f"the provider is unreachable: no connection to {url}" in refused.stderr
    assert unchecked.returncode == 0
    assert [i["base_url"] for i in listed(env)] == [url]


@pytest.mark.slow
def test_update_replaces_a_rotated_key_and_keeps_the_id(intsync_env, sandbox):
    url = sandbox.urls["stripe"]
    integration = json.loads(add(intsync_env, url, WRONG, "--no-check", "--json").stdout)["id"]

    refused = intsync(intsync_env, "integrations", "update", integration, "--credential",
                      f"api_key={WRONG}x")  # fmt: skip
    updated = intsync(intsync_env, "integrations", "update", integration, "--credential",
                      f"api_key={GOOD}")  # fmt: skip
    synced = intsync(intsync_env, "sync", "--integration", integration, "--resource",
                     "customers", "--json")  # fmt: skip
    unknown = intsync(intsync_env, "integrations", "update", "int_nope", "--credential", "a=b")

    assert refused.returncode == 1 and "refused the credentials" in refused.stderr
    assert updated.returncode == 0, updated.stderr
    assert f"Updated api_key of {integration}." in updated.stdout
    assert [i["id"] for i in listed(intsync_env)] == [integration]
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert json.loads(synced.stdout)["integration_id"] == integration
    assert unknown.returncode == 2 and "int_nope" in unknown.stderr
