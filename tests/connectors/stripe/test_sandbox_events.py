"""Every change through the sandbox records the event Stripe would send; /v1/events lists them."""

# ruff: noqa: F811  (fixtures imported from stripe_support are redefined as test parameters)

from __future__ import annotations

import time

import requests

from connectors.sandbox import SandboxServer
from connectors.sandbox.seeding import DAY
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.sandbox.stripe_support import (  # noqa: F401
    KEY_A,
    call,
    list_all,
    sandbox,
    server,
)


def _events(server: SandboxServer, **params: object) -> list[dict]:
    return list_all(server, "events", **params)


def test_customer_lifecycle_records_created_updated_deleted(server: SandboxServer) -> None:
    made = call(server, "POST", "/v1/customers", data={"email": "a@example.com"}).json()
    call(
        server,
        "POST",
        f"/v1/customers/{made['id']}",
        data={"name": "Ada", "metadata[plan]": "pro"},
    )
    call(server, "DELETE", f"/v1/customers/{made['id']}")
    mine = [
        e for e in _events(server, type="customer.*") if e["data"]["object"]["id"] == made["id"]
    ]
    assert [e["type"] for e in mine] == ["customer.deleted", "customer.updated", "customer.created"]
    deleted, updated, created = mine
    assert created["data"]["object"]["email"] == "a@example.com"
    assert updated["data"]["object"]["name"] == "Ada"
    assert updated["data"]["previous_attributes"] == {"name": None, "metadata": {"plan": None}}
    assert deleted["data"]["object"]["id"] == made["id"]
    assert created["object"] == "event" and created["livemode"] is False
    assert created["request"]["id"].startswith("req_")
    assert abs(created["created"] - time.time()) < 60


def test_update_without_change_records_nothing(server: SandboxServer) -> None:
    customer = list_all(server, "customers")[0]
    before = len(_events(server))
    call(server, "POST", f"/v1/customers/{customer['id']}", data={"email": customer["email"]})
    assert len(_events(server)) == before


def test_refund_updates_charge_and_records_both_events(server: SandboxServer) -> None:
    charge = next(
        c for c in list_all(server, "charges") if c["status"] == "succeeded" and not c["refunded"]
    )
    refund = call(server, "POST", "/v1/refunds", data={"charge": charge["id"]}).json()
    assert refund["amount"] == charge["amount"] - charge["amount_refunded"]
    after = call(server, "GET", f"/v1/charges/{charge['id']}").json()
    assert after["refunded"] is True
    assert after["amount_refunded"] == charge["amount"]
    assert after["refunds"]["data"][0]["id"] == refund["id"]
    newest = _events(server)[:2]
    assert [e["type"] for e in newest] == ["charge.refunded", "refund.created"]
    assert newest[0]["data"]["previous_attributes"]["refunded"] is False
    again = call(server, "POST", "/v1/refunds", data={"charge": charge["id"], "amount": "1"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "charge_already_refunded"


def test_charge_update_records_charge_updated(server: SandboxServer) -> None:
    charge = list_all(server, "charges")[3]
    call(server, "POST", f"/v1/charges/{charge['id']}", data={"metadata[order]": "77"})
    event = _events(server, type="charge.updated")[0]
    assert event["data"]["object"]["metadata"]["order"] == "77"
    assert event["data"]["previous_attributes"] == {"metadata": {"order": None}}


def test_types_filter_and_its_limit(server: SandboxServer) -> None:
    call(server, "POST", "/v1/customers", data={"email": "t@example.com"})
    call(server, "POST", "/v1/products", data={"name": "Hat"})
    found = _events(server, **{"types[0]": "customer.created", "types[1]": "product.created"})
    assert {e["type"] for e in found} == {"customer.created", "product.created"}
    too_many = {f"types[{i}]": f"x.{i}" for i in range(21)}
    answer = call(server, "GET", "/v1/events", params=too_many)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "types"


def test_seeded_events_cover_only_the_last_30_days(server: SandboxServer) -> None:
    events = _events(server)
    assert events
    oldest = min(e["created"] for e in events)
    assert oldest >= time.time() - 31 * DAY
    assert {e["type"] for e in events} >= {"charge.succeeded"}


def test_events_older_than_30_days_are_not_listed(sandbox: StripeSandbox, server) -> None:
    call(server, "POST", "/v1/customers", data={"email": "old@example.com"})
    assert _events(server, type="customer.created")
    sandbox.account(KEY_A).clock = lambda: time.time() + 31 * DAY
    assert _events(server, type="customer.created") == []


def test_programmatic_and_admin_mutations_record_events(
    sandbox: StripeSandbox, server: SandboxServer
) -> None:
    made = sandbox.create(KEY_A, "invoices", {"customer": "cus_x", "amount_due": 500})
    assert made["id"].startswith("in_")
    answer = requests.post(
        f"{server.url}/_sandbox/mutate",
        json={"action": "update", "resource": "invoices", "id": made["id"],
              "fields": {"status": "paid"}, "account": KEY_A},
        timeout=5,
    )  # fmt: skip
    assert answer.json()["status"] == "paid"
    kinds = [e["type"] for e in _events(server, type="invoice.*")[:2]]
    assert kinds == ["invoice.updated", "invoice.created"]
    touched = requests.post(
        f"{server.url}/_sandbox/mutate",
        json={"action": "touch", "resource": "charges", "fraction": 0.1},
        timeout=5,
    ).json()
    assert touched["updated"] == 25
    updated = _events(server, type="charge.updated")
    assert {e["data"]["object"]["id"] for e in updated} == set(touched["ids"])
    assert all("sandbox_touch" in e["data"]["object"]["metadata"] for e in updated)


def test_admin_objects_dump_matches_the_api(server: SandboxServer) -> None:
    dumped = requests.get(f"{server.url}/_sandbox/objects/customers?account={KEY_A}", timeout=5)
    assert dumped.json() == list_all(server, "customers")
    assert requests.get(f"{server.url}/_sandbox/objects/widgets", timeout=5).status_code == 404
    bad = requests.post(f"{server.url}/_sandbox/mutate", json={"action": "explode"}, timeout=5)
    assert bad.status_code == 400
