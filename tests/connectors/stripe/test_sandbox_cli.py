"""`intsync sandbox` as a process: announces itself, serves the SDK, obeys /_sandbox/, stops on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import stripe

KEY = "sk_test_cli_0042"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "intsync", "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_ready(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[list[str], str]:
    """Lines printed up to `ready PROVIDER URL`, and the URL."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1).rstrip("\n")
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("ready "):
            return seen, line.split()[2]
    proc.kill()
    raise AssertionError(f"no ready line; got {seen}")


@pytest.fixture
def cli_sandbox() -> Iterator[tuple[subprocess.Popen[str], list[str], str]]:
    proc = _start(
        "stripe", "--port", "0", "--api-key", KEY, "--count", "charges=120", "--seed", "5"
    )
    try:
        lines, url = _wait_ready(proc)
        yield proc, lines, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_cli_serves_the_sdk_and_the_admin_api(cli_sandbox) -> None:
    proc, lines, url = cli_sandbox
    assert lines[-2] == f"stripe credentials: {KEY}"
    assert lines[-1] == f"ready stripe {url}"
    client = stripe.StripeClient(KEY, base_addresses={"api": url})
    assert sum(1 for _ in client.v1.charges.list({"limit": 100}).auto_paging_iter()) == 120
    requests.post(f"{url}/_sandbox/faults", json={"script": [429]}, timeout=5)
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.list()
    made = requests.post(
        f"{url}/_sandbox/mutate",
        json={"action": "create", "resource": "customers", "fields": {"email": "c@example.com"}},
        timeout=5,
    ).json()
    assert client.v1.customers.retrieve(made["id"]).email == "c@example.com"
    stats = requests.get(f"{url}/_sandbox/stats", timeout=5).json()
    assert stats["by_path"]["/v1/customers"] == {"429": 1}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


@pytest.mark.slow
def test_cli_refuses_bad_options() -> None:
    proc = _start("stripe", "--count", "widgets=3", "--port", "0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "widgets" in err
