"""`intsync sync` as a process against the Square sandbox as a process, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop
from tests.acceptance.expect import (
    assert_tables_match,
    context_for,
    expected_tables,
    specs_of,
    warehouse_tables,
)
from warehouse.destinations import Warehouse

pytestmark = pytest.mark.slow

TOKEN_A, TOKEN_B = "EAAAaccept_harbour", "EAAAaccept_lakeside"
VENUES = {TOKEN_A: ("tenant-a", "venue-a"), TOKEN_B: ("tenant-b", "venue-b")}
CLIENT = {"client_id": "sq0idp-sandbox-intsync", "client_secret": "sq0csp-sandbox-intsync-secret"}


@pytest.fixture
def sandbox(cli: Cli):
    sandbox = start_sandbox(
        "square",
        "--api-key",
        TOKEN_A,
        "--api-key",
        TOKEN_B,
        "--count",
        "locations=4",
        "--count",
        "payments=250",
        env=cli.env,
    )
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


def _connect(cli: Cli, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {
        token: cli.add_integration(
            tenant, venue, "square", sandbox.urls["square"], access_token=token, **extra
        )
        for token, (tenant, venue) in VENUES.items()
    }


def _assert_warehouse_equals_sandbox(cli: Cli, sandbox: Sandbox) -> None:
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    for token, (tenant, venue) in VENUES.items():
        context = context_for("square", tenant, venue)
        for spec in specs_of("square"):
            expected = expected_tables(sandbox, "square", token, spec, context)
            actual = warehouse_tables(warehouse, spec, venue, "square")
            assert_tables_match(expected, actual, f"{venue} {spec.dataset}")


def _mutate(sandbox: Sandbox, token: str) -> dict[str, str]:
    def change(action: str, resource: str, **rest: object) -> dict:
        return sandbox.admin(
            "square", "mutate", {"action": action, "account": token, "resource": resource, **rest}
        )

    locations = sandbox.admin("square", f"objects/locations?account={token}")
    customers = sandbox.admin("square", f"objects/customers?account={token}")
    orders = sandbox.admin("square", f"objects/orders?account={token}")
    items = sandbox.admin("square", f"objects/catalog_items?account={token}")
    variations = sandbox.admin("square", f"objects/catalog_variations?account={token}")
    for place in locations[1:]:
        change("create", "payments", fields={"location_id": place["id"], "note": "new"})
    change("touch", "payments", count=5)
    change("touch", "refunds", count=2)
    payments = sandbox.admin("square", f"objects/payments?account={token}")
    refundable = next(
        p for p in payments[10:] if p["status"] == "COMPLETED" and not p.get("refund_ids")
    )
    change("create", "refunds", fields={"payment_id": refundable["id"]})  # the payment changes too
    change("update", "customers", id=customers[1]["id"], fields={"email_address": "x@example.org"})
    change("create", "customers")
    change("update", "orders", id=orders[2]["id"], fields={"state": "CANCELED"})
    change("create", "orders", fields={"location_id": locations[-1]["id"]})
    doomed = items[-1]["id"]
    change("delete", "catalog_items", id=doomed)
    kept = next(v for v in variations if v["item_variation_data"]["item_id"] != doomed)
    change("update", "catalog_variations", id=kept["id"], fields={"is_deleted": False})
    change("create", "catalog_items")
    return {"deleted_item": doomed}


def test_full_and_incremental_sync_equal_the_sandbox(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    first = cli.json("sync")
    assert [r["status"] for r in first] == ["success", "success"], first
    _assert_warehouse_equals_sandbox(cli, sandbox)
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    per_location = warehouse.query(
        "select count(distinct location_id) from staging.square_payments where venue_id = 'venue-a'"
    )
    assert per_location == [(4,)], "payments of every location, not only the main one"

    changed = _mutate(sandbox, TOKEN_A)
    second = cli.json("sync")
    assert [r["status"] for r in second] == ["success", "success"], second
    by_venue = {r["venue_id"]: r for r in second}
    read_a = {o["resource"]: o["rows_extracted"] for o in by_venue["venue-a"]["resources"]}
    assert read_a["payments"] == 3 + 5 + 1, "incremental reads only the changes"
    assert read_a["refunds"] == 2 + 1
    assert 0 < read_a["orders"] <= 3 and 0 < read_a["catalog_items"] <= 3
    read_b = {o["resource"]: o["rows_extracted"] for o in by_venue["venue-b"]["resources"]}
    # Locations are read whole; customers search starts a little before its mark (overlap).
    unchanged = {k: v for k, v in read_b.items() if k not in ("locations", "customers")}
    assert unchanged == dict.fromkeys(unchanged, 0), read_b
    assert read_b["customers"] <= 3, read_b
    _assert_warehouse_equals_sandbox(cli, sandbox)

    deleted = warehouse.query(
        "select _deleted_at from staging.square_catalog_items "
        f"where venue_id = 'venue-a' and id = '{changed['deleted_item']}'"
    )
    assert deleted and deleted[0][0] is not None, "a deleted catalog item keeps its row, marked"
    dupes = warehouse.query(
        "select venue_id, id, count(*) from core.payments group by 1, 2 having count(*) > 1"
    )
    assert dupes == []


# on DuckDB only: the fault path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_rate_limits_and_server_errors_are_survived(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    sandbox.admin(
        "square",
        "faults",
        {"rate_limit_probability": 0.15, "server_error_probability": 0.15, "seed": 5},
    )
    results = cli.json("sync")
    assert [r["status"] for r in results] == ["success", "success"]
    stats = sandbox.admin("square", "stats")
    assert stats["by_status"].get("429", 0) > 0, "429s really happened"
    assert stats["by_status"].get("500", 0) + stats["by_status"].get("503", 0) > 0
    sandbox.admin("square", "faults", {"rate_limit_probability": 0, "server_error_probability": 0})
    _assert_warehouse_equals_sandbox(cli, sandbox)


# on DuckDB only: the auth path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_a_revoked_token_fails_that_integration_only_and_says_reconnect(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    sandbox.admin("square", "faults", {"revoked_credentials": [TOKEN_A]})
    sandbox.admin("square", "stats", {})
    done = cli.run("sync", "--json", check=False)
    assert done.returncode == 1
    results = {r["integration_id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert results[ids[TOKEN_B]]["status"] == "success"
    failed = results[ids[TOKEN_A]]
    assert failed["status"] == "failed"
    assert all(o["error_class"] == "AuthenticationError" for o in failed["resources"])
    assert "reconnect" in failed["error"].lower()
    assert TOKEN_A not in done.stdout + done.stderr, "the token never shows"
    stats = sandbox.admin("square", "stats")
    assert stats["by_status"].get("401", 0) == 1, "no retry storm: one refused request"
    listed = {i["id"]: i for i in cli.json("integrations", "list")}
    assert listed[ids[TOKEN_A]]["status"] == "needs_reconnect"


# on DuckDB only: the token path does not depend on the warehouse
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_an_expired_token_is_refreshed_once_and_saved(cli: Cli, sandbox: Sandbox):
    sandbox.admin("square", "mutate", {"action": "expire_token", "token": TOKEN_A})
    integration = cli.add_integration(
        "tenant-a",
        "venue-a",
        "square",
        sandbox.urls["square"],
        access_token=TOKEN_A,
        refresh_token=f"{TOKEN_A}-refresh",
        expires_at="2020-01-01T00:00:00Z",
        **CLIENT,
    )
    first = cli.json("sync", "--integration", integration)
    assert first["status"] == "success", first
    assert sandbox.admin("square", "info")["oauth"]["token_requests"] == 1
    second = cli.json("sync", "--integration", integration)
    assert second["status"] == "success", second
    assert sandbox.admin("square", "info")["oauth"]["token_requests"] == 1, (
        "the refreshed token was saved and used again, not refreshed a second time"
    )


# on DuckDB only: the webhook path is covered on PostgreSQL by the Stripe end-to-end test
@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_signed_webhooks_bring_changes_and_customer_deletions(cli: Cli, sandbox: Sandbox):
    from tests.acceptance.test_webhooks_e2e import apply_inbox, free_port, start_web

    port = free_port()
    web = start_web(cli.env, port)
    try:
        # No webhook_url: intsync web checks the signature over the URL it was called at.
        ids = _connect(cli, sandbox, webhook_signature_key="sq-signature-key")
        url = f"http://127.0.0.1:{port}/api/v1/integrations/webhooks/square/{ids[TOKEN_A]}"
        cli.json("sync")
        customers = sandbox.admin("square", f"objects/customers?account={TOKEN_A}")
        gone = customers[3]["id"]
        sandbox.admin("square", "mutate", {"action": "delete", "account": TOKEN_A,
                                           "resource": "customers", "id": gone})  # fmt: skip
        _mutate(sandbox, TOKEN_A)
        answer = sandbox.admin(
            "square",
            "webhooks",
            {"url": url, "signature_key": "sq-signature-key", "account": TOKEN_A,
             "duplicate_probability": 0.3, "shuffle": True, "seed": 7},
        )  # fmt: skip
    finally:
        stop(web)
    deliveries = answer["deliveries"]
    assert deliveries and all(d["status"] == 200 for d in deliveries), deliveries[:3]
    assert apply_inbox(cli, ids[TOKEN_A]) == len({d["event_id"] for d in deliveries})
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    marked = warehouse.query(
        f"select _deleted_at from staging.square_customers where venue_id = 'venue-a' and id = '{gone}'"
    )
    assert marked and marked[0][0] is not None, "a customer.deleted event marks the row"
    context = context_for("square", "tenant-a", "venue-a")
    for spec in specs_of("square"):
        if spec.resource in ("payments", "orders", "customers", "refunds"):
            expected = expected_tables(sandbox, "square", TOKEN_A, spec, context)
            actual = warehouse_tables(warehouse, spec, "venue-a", "square")
            assert_tables_match(expected, actual, f"webhooks {spec.dataset}")
