"""A large first Stripe sync, read by worker processes: killed part way, run again, exact."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.acceptance.conftest import INTSYNC, Cli, Sandbox, start_sandbox, stop
from tests.acceptance.stripe_expect import (
    assert_matches,
    expected_rows,
    staging_specs,
    warehouse_rows,
)
from warehouse.destinations import Warehouse

pytestmark = pytest.mark.slow

KEY = "sk_test_accept_split"
CHARGES = 3000  # 30 pages: more than StripeConnector.split_min_pages, so the read is split


@pytest.fixture
def sandbox(cli: Cli):
    sandbox = start_sandbox(
        "stripe", "--api-key", KEY, "--count", f"charges={CHARGES}", env=cli.env
    )
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


def _workers_of(home: str) -> list[int]:
    """Worker processes (spawned by multiprocessing) of syncs run with this INTSYNC_HOME."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in command and f"INTSYNC_HOME={home}".encode() in environ:
            found.append(int(entry.name))
    return found


def _wait_gone(home: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _workers_of(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


# on DuckDB only: the split read happens before any load: the warehouse does not matter
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_split_first_sync_killed_midway_resumes_exactly(cli: Cli, sandbox: Sandbox):
    home = cli.env["INTSYNC_HOME"]
    cli.add_integration(
        "tenant-s", "venue-s", "stripe", sandbox.urls["stripe"], api_key=KEY,
        requests_per_second="500",
    )  # fmt: skip
    sandbox.admin("stripe", "faults", {"latency_ms": 5, "rate_limit_probability": 0.05, "seed": 8})
    # the kill lands once the reads are under way: after 40 answered requests the rest are held
    sandbox.admin("stripe", "faults", {"hold_account": KEY, "hold_after": 40})
    cli.env["INTSYNC_READ_PROCESSES"] = "2"  # whatever the machine's cores
    process = subprocess.Popen(
        [INTSYNC, "sync", "--resource", "charges"],
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not _workers_of(home) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert _workers_of(home), "the sync started worker processes"
    while sandbox.admin("stripe", "faults")["held"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.admin("stripe", "faults")["held"] >= 1, "killed while reading, not after"
    assert process.poll() is None and _workers_of(home), "the sync and its workers still run"
    process.send_signal(signal.SIGKILL)
    process.wait()
    sandbox.admin("stripe", "faults", {"hold_account": None})
    assert _wait_gone(home, 10) == [], "the workers end with the sync that started them"
    spools = Path(home) / "dlt" / "spool"
    (left,) = list(spools.iterdir())

    sandbox.admin("stripe", "faults", {"latency_ms": 0})
    result = cli.json("sync", "--resource", "charges")
    assert result["status"] == "success", result
    assert not left.exists(), "the next sync deletes the files the killed one left"
    assert list(spools.iterdir()) == [], "and its own"
    (outcome,) = result["resources"]
    assert outcome["rows_extracted"] == outcome["rows_loaded"] == CHARGES
    sandbox.admin("stripe", "faults", {"rate_limit_probability": 0})
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    context = {
        "tenant_id": "tenant-s",
        "venue_id": "venue-s",
        "integration_id": "any",
        "provider": "stripe",
        "synced_at": dt.datetime.now(dt.UTC),
    }
    (spec,) = [s for s in staging_specs() if s.resource == "charges"]
    expected = expected_rows(sandbox, KEY, spec, context)
    assert len(expected) == CHARGES
    assert_matches(expected, warehouse_rows(warehouse, spec.table, "venue-s"), spec.table)
    raw = warehouse.query("select count(*), count(distinct id) from raw.stripe_charges")
    assert raw == [(CHARGES, CHARGES)], "the killed run loaded nothing, the second everything once"
