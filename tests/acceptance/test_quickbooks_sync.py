"""`intsync sync` as a process against the QuickBooks sandbox as a process, DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import Any

import pytest

from tests.acceptance.conftest import INTSYNC, Cli, Sandbox, start_sandbox, stop
from tests.acceptance.expect import (
    assert_tables_match,
    context_for,
    expected_tables,
    specs_of,
    warehouse_tables,
)
from warehouse.destinations import Warehouse

pytestmark = pytest.mark.slow

REALM_A, REALM_B = "9130355000000001", "9130355000000002"
VENUES = {REALM_A: ("tenant-a", "venue-a"), REALM_B: ("tenant-b", "venue-b")}


@pytest.fixture
def sandbox(cli: Cli):
    sandbox = start_sandbox(
        "quickbooks", "--api-key", REALM_A, "--api-key", REALM_B, "--count", "invoices=1300",
        env=cli.env,
    )  # fmt: skip
    sandbox.admin("quickbooks", "mutate", {"action": "limits", "retry_after": 0.2})
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


def _credentials(sandbox: Sandbox) -> dict[str, dict[str, str]]:
    info = sandbox.admin("quickbooks", "info")
    lines = dict(item.split("=", 1) for item in info["credentials"][:2])
    found = {}
    for item in info["credentials"][2:]:
        pairs = dict(part.split("=", 1) for part in item.split())
        found[pairs["realm_id"]] = {**lines, **pairs}
    return found


def _connect(cli: Cli, sandbox: Sandbox) -> dict[str, str]:
    creds = _credentials(sandbox)
    return {
        realm: cli.add_integration(
            tenant, venue, "quickbooks", sandbox.urls["quickbooks"], **creds[realm]
        )  # fmt: skip
        for realm, (tenant, venue) in VENUES.items()
    }


def _assert_warehouse_equals_sandbox(
    cli: Cli, sandbox: Sandbox, realms=tuple(VENUES), resources: tuple[str, ...] = ()
) -> None:
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    for realm in realms:
        tenant, venue = VENUES[realm]
        context = context_for("quickbooks", tenant, venue)
        # core.orders holds invoices and sales receipts: compare the union of both specs' rows.
        expected: dict[str, dict[str, dict]] = {}
        actual: dict[str, dict[str, dict]] = {}
        for spec in specs_of("quickbooks"):
            if resources and spec.resource not in resources:
                continue
            for table, rows in expected_tables(sandbox, "quickbooks", realm, spec, context).items():
                expected.setdefault(f"{spec.dataset}.{table}", {}).update(rows)
            gone = _deleted_ids(warehouse, spec, venue) if spec.children else set()
            for table, rows in warehouse_tables(warehouse, spec, venue, "quickbooks").items():
                if table != spec.table:  # lines of a deleted parent stay as they were last read
                    rows = {k: r for k, r in rows.items() if r["parent_id"] not in gone}
                actual[f"{spec.dataset}.{table}"] = rows
        assert_tables_match(expected, actual, venue)


def _deleted_ids(warehouse: Warehouse, spec: Any, venue: str) -> set[str]:
    rows = warehouse.query(
        f"select id from {spec.dataset}.{spec.table} "
        f"where venue_id = '{venue}' and _deleted_at is not null"
    )
    return {row[0] for row in rows}


def _change(sandbox: Sandbox, action: str, resource: str, **rest: Any) -> Any:
    payload = {"action": action, "realm": REALM_A, "resource": resource, **rest}
    return sandbox.admin("quickbooks", "mutate", payload)


def _mutate(sandbox: Sandbox) -> dict[str, str]:
    invoices = sandbox.admin("quickbooks", f"objects/invoices?realm={REALM_A}")
    customers = sandbox.admin("quickbooks", f"objects/customers?realm={REALM_A}")
    doomed = invoices[5]["Id"]
    _change(sandbox, "delete", "invoices", id=doomed)
    _change(sandbox, "delete", "customers", id=customers[-1]["Id"])
    _change(sandbox, "touch", "invoices", count=6)
    _change(sandbox, "update", "customers", id=customers[0]["Id"],
            fields={"PrimaryEmailAddr": {"Address": "Changed@Example.org"}})  # fmt: skip
    _change(sandbox, "create", "payments", fields={
        "TotalAmt": 25.5, "CustomerRef": {"value": customers[1]["Id"]},
        "CurrencyRef": {"value": "USD"}, "Line": [{"Amount": 25.5, "LinkedTxn": [
            {"TxnId": invoices[1]["Id"], "TxnType": "Invoice"}]}]})  # fmt: skip
    return {"invoice": doomed, "customer": customers[-1]["Id"]}


def test_full_and_incremental_sync_equal_the_sandbox(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    first = cli.json("sync")
    assert [r["status"] for r in first] == ["success", "success"]
    for result in first:
        for outcome in result["resources"]:
            assert outcome["expected_total"] == outcome["rows_extracted"], outcome
            assert not [n for n in outcome["notes"] if "completeness" in n]
    _assert_warehouse_equals_sandbox(cli, sandbox)

    gone = _mutate(sandbox)
    second = cli.json("sync")
    assert [r["status"] for r in second] == ["success", "success"]
    by_venue = {r["venue_id"]: r for r in second}
    read_a = {o["resource"]: o["rows_extracted"] for o in by_venue["venue-a"]["resources"]}
    assert read_a["invoices"] == 7 and read_a["customers"] == 2 and read_a["payments"] == 1
    assert sum(o["rows_extracted"] for o in by_venue["venue-b"]["resources"]) == 0
    _assert_warehouse_equals_sandbox(cli, sandbox)

    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    for table, object_id in (
        ("staging.quickbooks_invoices", gone["invoice"]),
        ("core.orders", gone["invoice"]),
        ("staging.quickbooks_customers", gone["customer"]),
    ):
        marked = warehouse.query(
            f"select _deleted_at from {table} where venue_id = 'venue-a' and id = '{object_id}'"
        )
        assert marked and marked[0][0] is not None, f"hard delete marked in {table}"
    dupes = warehouse.query(
        "select venue_id, id, count(*) from staging.quickbooks_invoices group by 1, 2 "
        "having count(*) > 1"
    )
    assert dupes == []


# on DuckDB only: the fault path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_throttles_and_server_errors_are_survived(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    sandbox.admin("quickbooks", "faults", {"script": [429, 500, 503], "path_prefix": "/v3/"})
    results = cli.json("sync", "--resource", "invoices")
    assert [r["status"] for r in results] == ["success", "success"]
    statuses = sandbox.admin("quickbooks", "stats")["by_status"]
    assert statuses.get("429", 0) > 0 and statuses.get("500", 0) + statuses.get("503", 0) > 0
    _assert_warehouse_equals_sandbox(cli, sandbox, resources=("invoices",))


# on DuckDB only: the auth path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_revoked_company_fails_alone_and_says_reconnect(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    sandbox.admin("quickbooks", "mutate", {"action": "revoke", "realm": REALM_A})
    sandbox.admin("quickbooks", "stats", {})
    done = cli.run("sync", "--resource", "items", "--resource", "accounts", "--json", check=False)
    assert done.returncode == 1
    results = {r["integration_id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert results[ids[REALM_B]]["status"] == "success"
    failed = results[ids[REALM_A]]
    assert failed["status"] == "failed" and "reconnect" in failed["error"].lower()
    # the 401 is answered with one refresh, which the revoked company's token endpoint refuses
    assert {o["error_class"] for o in failed["resources"]} == {"RefreshRefusedError"}
    refresh_token = _credentials(sandbox)[REALM_A]["refresh_token"]
    assert refresh_token not in done.stdout + done.stderr
    token_calls = sandbox.admin("quickbooks", "stats")["by_path"]["/oauth2/v1/tokens/bearer"]
    assert token_calls.get("400") == 1, "one refused refresh, no retry storm"
    listed = {i["id"]: i for i in cli.json("integrations", "list")}
    assert listed[ids[REALM_A]]["status"] == "needs_reconnect"


def _refreshes(sandbox: Sandbox) -> int:
    return sandbox.admin("quickbooks", "info")["refreshes"][REALM_A]


def _sync_killed_at_refresh(cli: Cli, sandbox: Sandbox, integration_id: str) -> None:
    before = _refreshes(sandbox)
    process = subprocess.Popen(
        [INTSYNC, "sync", "--integration", integration_id, "--resource", "items"],
        env=cli.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while _refreshes(sandbox) == before and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _refreshes(sandbox) == before + 1, "the sync was killed right after a refresh"


# on DuckDB only: token handling does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_sync_killed_right_after_a_token_refresh_is_followed_by_one_that_authenticates(
    cli: Cli, sandbox: Sandbox
):
    ids = _connect(cli, sandbox)
    # Killed after the sandbox rotated the token but before the answer arrived: nothing saved.
    sandbox.admin("quickbooks", "mutate", {"action": "token_hold", "seconds": 3})
    _sync_killed_at_refresh(cli, sandbox, ids[REALM_A])
    # Killed as soon as the answer was sent: saved or not, whichever the kill allowed.
    sandbox.admin("quickbooks", "mutate", {"action": "token_hold", "seconds": 0})
    for _ in range(2):
        sandbox.admin("quickbooks", "mutate", {"action": "expire_access", "realm": REALM_A})
        _sync_killed_at_refresh(cli, sandbox, ids[REALM_A])
    sandbox.admin("quickbooks", "mutate", {"action": "expire_access", "realm": REALM_A})
    result = cli.json("sync", "--integration", ids[REALM_A], "--resource", "invoices")
    assert result["status"] == "success", result
    _assert_warehouse_equals_sandbox(cli, sandbox, realms=(REALM_A,), resources=("invoices",))
