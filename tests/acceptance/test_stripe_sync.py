"""`intsync sync` as a process against the Stripe sandbox as a process, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time

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

KEY_A, KEY_B = "sk_test_accept_harbour", "sk_test_accept_lakeside"
VENUES = {KEY_A: ("tenant-a", "venue-a"), KEY_B: ("tenant-b", "venue-b")}


@pytest.fixture
def sandbox(cli: Cli):
    sandbox = start_sandbox(
        "stripe", "--api-key", KEY_A, "--api-key", KEY_B, "--count", "charges=450", env=cli.env
    )
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


def _connect(cli: Cli, sandbox: Sandbox) -> dict[str, str]:
    ids = {}
    for key, (tenant, venue) in VENUES.items():
        ids[key] = cli.add_integration(
            tenant, venue, "stripe", sandbox.urls["stripe"], api_key=key, requests_per_second="500"
        )
    return ids


def _assert_warehouse_equals_sandbox(cli: Cli, sandbox: Sandbox) -> None:
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    for key, (tenant, venue) in VENUES.items():
        context = {
            "tenant_id": tenant,
            "venue_id": venue,
            "integration_id": "any",
            "provider": "stripe",
            "synced_at": dt.datetime.now(dt.UTC),
        }
        for spec in staging_specs():
            expected = expected_rows(sandbox, key, spec, context)
            assert_matches(expected, warehouse_rows(warehouse, spec.table, venue), spec.table)


def _run_at_once(cli: Cli, sync_arguments: list[list[str]]) -> None:
    """Start one `intsync sync` per argument list together; fail with every output if any fails."""
    processes = [
        subprocess.Popen(
            [INTSYNC, "sync", *arguments],
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in sync_arguments
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    if any(p.returncode for p in processes):
        pytest.fail(
            "\n".join(
                f"--- sync {' '.join(a)} exited {p.returncode}\n{out}\n{err}"
                for a, p, (out, err) in zip(sync_arguments, processes, outputs, strict=True)
            ),
            pytrace=False,
        )


def _mutate(sandbox: Sandbox, key: str) -> dict[str, str]:
    customers = sandbox.admin("stripe", f"objects/customers?account={key}")
    charges = sandbox.admin("stripe", f"objects/charges?account={key}")
    doomed = customers[-1]["id"]
    for index in range(3):
        sandbox.admin(
            "stripe",
            "mutate",
            {"action": "create", "account": key, "resource": "charges",
             "fields": {"amount": 1000 + index, "currency": "usd", "customer": customers[0]["id"]}},
        )  # fmt: skip
    sandbox.admin(
        "stripe",
        "mutate",
        {"action": "update", "account": key, "resource": "customers", "id": customers[1]["id"],
         "fields": {"email": "changed@example.org"}},
    )  # fmt: skip
    sandbox.admin(
        "stripe",
        "mutate",
        {"action": "delete", "account": key, "resource": "customers", "id": doomed},
    )
    refundable = next(c for c in charges if c["status"] == "succeeded" and not c["amount_refunded"])
    sandbox.admin(
        "stripe",
        "mutate",
        {"action": "create", "account": key, "resource": "refunds",
         "fields": {"charge": refundable["id"], "amount": 100}},
    )  # fmt: skip
    sandbox.admin(
        "stripe", "mutate", {"action": "touch", "account": key, "resource": "charges", "count": 7}
    )
    return {"deleted_customer": doomed}


def test_full_and_incremental_sync_equal_the_sandbox(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    first = cli.json("sync")
    assert [r["status"] for r in first] == ["success", "success"]
    _assert_warehouse_equals_sandbox(cli, sandbox)

    changed = _mutate(sandbox, KEY_A)
    second = cli.json("sync")
    assert [r["status"] for r in second] == ["success", "success"]
    by_venue = {r["venue_id"]: r for r in second}
    read_a = {o["resource"]: o["rows_extracted"] for o in by_venue["venue-a"]["resources"]}
    assert 0 < read_a["charges"] < 30, "incremental reads only the changes"
    assert sum(o["rows_extracted"] for o in by_venue["venue-b"]["resources"]) == 0
    _assert_warehouse_equals_sandbox(cli, sandbox)

    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    deleted = warehouse.query(
        "select _deleted_at from staging.stripe_customers "
        f"where venue_id = 'venue-a' and id = '{changed['deleted_customer']}'"
    )
    assert deleted and deleted[0][0] is not None, "a deleted customer keeps its row, marked"
    dupes = warehouse.query(
        "select venue_id, id, count(*) from staging.stripe_charges group by 1, 2 having count(*) > 1"
    )
    assert dupes == []
    mixed = warehouse.query(
        "select count(*) from staging.stripe_charges where venue_id = 'venue-b' and tenant_id <> 'tenant-b'"
    )
    assert mixed == [(0,)], "two venues never mix"


# on DuckDB only: the fault path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_rate_limits_and_server_errors_are_survived(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    sandbox.admin(
        "stripe",
        "faults",
        {"rate_limit_probability": 0.1, "server_error_probability": 0.1, "seed": 3},
    )
    results = cli.json("sync")
    assert [r["status"] for r in results] == ["success", "success"]
    stats = sandbox.admin("stripe", "stats")
    assert (
        stats["by_status"].get("429", 0) > 0
        and stats["by_status"].get("500", 0) + stats["by_status"].get("503", 0) > 0
    ), "faults really happened"
    sandbox.admin("stripe", "faults", {"rate_limit_probability": 0, "server_error_probability": 0})
    _assert_warehouse_equals_sandbox(cli, sandbox)


# on DuckDB only: the auth path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_revoked_key_fails_that_integration_only_and_says_reconnect(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    sandbox.admin("stripe", "faults", {"revoked_credentials": [KEY_A]})
    sandbox.admin("stripe", "stats", {})
    done = cli.run("sync", "--json", check=False)
    assert done.returncode == 1
    results = {
        r["integration_id"]: r for r in map(__import__("json").loads, done.stdout.splitlines())
    }
    assert results[ids[KEY_B]]["status"] == "success"
    failed = results[ids[KEY_A]]
    assert failed["status"] == "failed"
    assert all(o["error_class"] == "AuthenticationError" for o in failed["resources"])
    assert "reconnect" in failed["error"].lower()
    assert KEY_A not in done.stdout + done.stderr, "the key never shows"
    stats = sandbox.admin("stripe", "stats")
    assert stats["by_status"].get("401", 0) == 1, "no retry storm: one refused request"
    logs = cli.json("logs", "--venue", "venue-a")
    assert logs and all("reconnect" in (entry["error_message"] or "").lower() for entry in logs)
    listed = {i["id"]: i for i in cli.json("integrations", "list")}
    assert listed[ids[KEY_A]]["status"] == "needs_reconnect"


def _kill_when_held(cli: Cli, sandbox: Sandbox, key: str, after: int) -> None:
    """Start `intsync sync`, let `key`'s account answer `after` requests, kill the sync while
    its next request is held by the sandbox, then lift the hold."""
    sandbox.admin("stripe", "faults", {"hold_account": key, "hold_after": after})
    process = subprocess.Popen(
        [INTSYNC, "sync"], env=cli.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while sandbox.admin("stripe", "faults")["held"] < 1 and time.monotonic() < deadline:
        assert process.poll() is None, "the sync ended before it reached the held request"
        time.sleep(0.05)
    assert sandbox.admin("stripe", "faults")["held"] >= 1, "the sync reached the held request"
    process.send_signal(signal.SIGKILL)
    process.wait()
    sandbox.admin("stripe", "faults", {"hold_account": None})


def _statuses(cli: Cli, venue: str) -> set[str]:
    return {entry["status"] for entry in cli.json("logs", "--venue", venue)}


def test_a_sync_killed_midway_resumes_without_loss_or_duplicates(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)

    # killed in the middle of venue a's reads: its fourth request is held
    _kill_when_held(cli, sandbox, KEY_A, after=3)
    assert _statuses(cli, "venue-a") == {"running"}, "killed while venue a was reading"
    assert _statuses(cli, "venue-b") == set(), "venue b not started"

    # killed after venue a finished and loaded, at venue b's first request
    _kill_when_held(cli, sandbox, KEY_B, after=0)
    assert "success" in _statuses(cli, "venue-a"), "venue a synced before the kill"
    assert _statuses(cli, "venue-b") <= {"running"}, "killed before venue b read anything"

    results = cli.json("sync")
    assert [r["status"] for r in results] == ["success", "success"]
    _assert_warehouse_equals_sandbox(cli, sandbox)


def test_two_syncs_loading_at_once_wait_for_each_other(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    _run_at_once(cli, [["--integration", integration_id] for integration_id in ids.values()])
    _assert_warehouse_equals_sandbox(cli, sandbox)


def test_two_syncs_of_one_integration_at_once_wait_for_each_other(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    cli.json("sync")
    _mutate(sandbox, KEY_A)
    _run_at_once(
        cli,
        [
            ["--integration", ids[KEY_A], *extra]
            for extra in (["--full-refresh"], ["--full-refresh"], [])
        ],
    )
    _assert_warehouse_equals_sandbox(cli, sandbox)
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    for dataset, table in (("staging", "stripe_charges"), ("core", "payments")):
        repeated = warehouse.query(
            f"select venue_id, id, count(*) from {dataset}.{table}"
            " group by venue_id, id having count(*) > 1"
        )
        assert repeated == [], f"{dataset}.{table}: {repeated[:5]}"
