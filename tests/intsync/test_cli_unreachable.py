"""`intsync sync` against a provider nothing answers for: it fails within the unreachable
budget, says the provider was unreachable, counts on the breakers, and shows what it waits for."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

INTSYNC = str(Path(sys.executable).with_name("intsync"))
BUDGET = 3  # INTSYNC_UNREACHABLE_SECONDS in these tests
CREDENTIALS = {
    "stripe": ["api_key=sk_test_unreachable"],
    "square": ["access_token=sq-unreachable"],
    "mailchimp": ["api_key=unreachable-us6"],
    "quickbooks": [
        "client_id=c",
        "client_secret=s",
        "refresh_token=r",
        "realm_id=123",
    ],
}


def unused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def intsync(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [INTSYNC, *args], env=env, capture_output=True, text=True, timeout=300, check=check
    )


@pytest.fixture
def env(intsync_env: dict[str, str]) -> dict[str, str]:
    # one reading process: the reader processes a first full read starts take seconds of their own
    return {
        **intsync_env,
        "INTSYNC_UNREACHABLE_SECONDS": str(BUDGET),
        "INTSYNC_READ_PROCESSES": "1",
        "COLUMNS": "200",
    }


def add(env: dict[str, str], provider: str, url: str) -> str:
    pairs = [a for pair in CREDENTIALS[provider] for a in ("--credential", pair)]
    done = intsync(
        env, "integrations", "add", "--tenant", "t1", "--venue", "v1", "--provider", provider,
        "--base-url", url, "--no-check", *pairs, "--json",
    )  # fmt: skip
    return str(json.loads(done.stdout.strip().splitlines()[-1])["id"])


@pytest.mark.slow
@pytest.mark.parametrize("provider", sorted(CREDENTIALS))
def test_a_sync_of_an_unreachable_provider_fails_fast_says_so_and_counts(env, provider):
    url = f"http://127.0.0.1:{unused_port()}"
    integration = add(env, provider, url)

    started = time.monotonic()
    done = intsync(env, "sync", "--integration", integration, "--json", check=False)
    took = time.monotonic() - started

    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    read = result["seconds"]["read"]
    assert read < BUDGET + 2, (
        f"reading took {read} s with a {BUDGET} s budget ({took:.0f} s in all)"
    )
    failed = result["resources"]
    assert failed and all(r["status"] == "failed" for r in failed)
    assert all(r["error_class"] == "UnreachableError" for r in failed)
    assert "the provider is unreachable" in failed[0]["error_message"]
    assert "connection refused" in failed[0]["error_message"]
    breakers = {b["name"]: b for b in json.loads(intsync(env, "breakers", "list", "--json").stdout)}
    assert breakers[f"integration:{integration}"]["consecutive_failures"] == 1
    assert breakers[f"provider:{provider}"]["consecutive_failures"] == 1


@pytest.mark.slow
def test_the_breaker_opened_by_repeated_unreachable_syncs_refuses_the_next_one(env):
    env = {**env, "INTSYNC_BREAKER_FAILURES": "2", "INTSYNC_UNREACHABLE_SECONDS": "1"}
    integration = add(env, "stripe", f"http://127.0.0.1:{unused_port()}")

    for _ in range(2):
        intsync(env, "sync", "--integration", integration, "--resource", "customers", check=False)
    refused = intsync(env, "sync", "--integration", integration, "--json", check=False)

    assert refused.returncode == 1
    assert (
        "circuit breaker 'provider:stripe' is open after 2 consecutive failures"
        in (json.loads(refused.stdout)["error"])
    )


def read_pty(fd: int, process: subprocess.Popen, limit: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_on_a_terminal_the_status_line_says_what_the_sync_waits_for_and_why(env):
    url = f"http://127.0.0.1:{unused_port()}"
    integration = add(env, "stripe", url)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
    process = subprocess.Popen(
        [INTSYNC, "sync", "--integration", integration, "--resource", "customers"],
        env={**env, "TERM": "xterm"},
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    try:
        screen = read_pty(main, process, 120)
    finally:
        process.wait(timeout=60)
        os.close(main)

    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert f"stripe v1: waiting for the first page from {url}" in screen
    assert re.search(
        r"stripe v1: waiting [0-9.]+ s to retry \(attempt 2\): stripe customers[a-z ]*: "
        r"the provider is unreachable: no connection to \S+ \(connection refused\)",
        screen,
    ), screen[-2000:]
