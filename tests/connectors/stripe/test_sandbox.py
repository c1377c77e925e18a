"""The Stripe sandbox over HTTP: lists and paging as Stripe pages, filters, errors, isolation."""

# ruff: noqa: F811  (fixtures imported from stripe_support are redefined as test parameters)

from __future__ import annotations

import pytest

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.sandbox.stripe_support import (  # noqa: F401
    KEY_A,
    KEY_B,
    call,
    list_all,
    sandbox,
    server,
)


def test_list_defaults_to_ten_newest_first(server: SandboxServer) -> None:
    page = call(server, "GET", "/v1/charges").json()
    assert page["object"] == "list"
    assert page["url"] == "/v1/charges"
    assert page["has_more"] is True
    assert len(page["data"]) == 10
    keys = [(c["created"], c["id"]) for c in page["data"]]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_bad_limit_is_a_400_naming_the_param(server: SandboxServer, limit: str) -> None:
    answer = call(server, "GET", "/v1/charges", params={"limit": limit})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "limit"
    assert error["message"]


def test_paging_reaches_every_object_once_and_the_last_page_says_so(server: SandboxServer) -> None:
    charges = list_all(server, "charges")
    assert len(charges) == 250
    assert len({c["id"] for c in charges}) == 250
    keys = [(c["created"], c["id"]) for c in charges]
    assert keys == sorted(keys, reverse=True)
    last = call(
        server, "GET", "/v1/charges", params={"limit": 50, "starting_after": charges[-51]["id"]}
    ).json()
    assert [c["id"] for c in last["data"]] == [c["id"] for c in charges[-50:]]
    assert last["has_more"] is False


def test_ending_before_pages_backwards(server: SandboxServer) -> None:
    charges = list_all(server, "charges")
    page = call(
        server, "GET", "/v1/charges", params={"limit": 3, "ending_before": charges[10]["id"]}
    ).json()
    assert [c["id"] for c in page["data"]] == [c["id"] for c in charges[7:10]]
    assert page["has_more"] is True


def test_unknown_cursor_is_a_400_resource_missing(server: SandboxServer) -> None:
    answer = call(server, "GET", "/v1/charges", params={"starting_after": "ch_nope"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("resource_missing", "starting_after")
    assert "ch_nope" in error["message"]


def test_created_filters(server: SandboxServer) -> None:
    charges = list_all(server, "charges")
    pivot = charges[100]["created"]
    gte = list_all(server, "charges", **{"created[gte]": pivot})
    gt = list_all(server, "charges", **{"created[gt]": pivot})
    lt = list_all(server, "charges", **{"created[lt]": pivot})
    lte = list_all(server, "charges", **{"created[lte]": pivot})
    exact = list_all(server, "charges", created=pivot)
    assert all(c["created"] >= pivot for c in gte)
    assert all(c["created"] > pivot for c in gt)
    assert all(c["created"] < pivot for c in lt)
    assert len(gte) + len(lt) == 250
    assert len(gt) + len(lte) == 250
    assert {c["id"] for c in exact} == {c["id"] for c in charges if c["created"] == pivot}
    bad = call(server, "GET", "/v1/charges", params={"created[gte]": "soon"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "created[gte]"


def test_field_filters_and_unknown_params(server: SandboxServer) -> None:
    customer = next(c["customer"] for c in list_all(server, "charges") if c["customer"])
    mine = list_all(server, "charges", customer=customer)
    assert mine and all(c["customer"] == customer for c in mine)
    answer = call(server, "GET", "/v1/charges", params={"colour": "red"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Received unknown parameter: colour"


def test_subscriptions_hide_canceled_unless_asked(server: SandboxServer) -> None:
    default = list_all(server, "subscriptions")
    everything = list_all(server, "subscriptions", status="all")
    assert all(s["status"] != "canceled" for s in default)
    assert len(everything) == 10
    assert len(default) == len([s for s in everything if s["status"] != "canceled"])


def test_retrieve_and_resource_missing(server: SandboxServer) -> None:
    first = call(server, "GET", "/v1/customers", params={"limit": 1}).json()["data"][0]
    assert call(server, "GET", f"/v1/customers/{first['id']}").json() == first
    answer = call(server, "GET", "/v1/customers/cus_missing")
    assert answer.status_code == 404
    assert answer.json()["error"] == {
        "type": "invalid_request_error",
        "message": "No such customer: 'cus_missing'",
        "param": "id",
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
    }


def test_unrecognized_url_is_a_404(server: SandboxServer) -> None:
    answer = call(server, "GET", "/v1/widgets")
    assert answer.status_code == 404
    assert "Unrecognized request URL (GET: /v1/widgets)" in answer.json()["error"]["message"]
    assert call(server, "POST", "/v1/payouts", data={"amount": "5"}).status_code == 404


def test_invoice_lines_sublist(server: SandboxServer) -> None:
    invoice = list_all(server, "invoices")[0]
    lines = call(server, "GET", f"/v1/invoices/{invoice['id']}/lines").json()
    assert lines["object"] == "list"
    assert lines["data"] == invoice["lines"]["data"]


def test_accounts_never_see_each_other(server: SandboxServer) -> None:
    a = {c["id"] for c in list_all(server, "customers", key=KEY_A)}
    b = {c["id"] for c in list_all(server, "customers", key=KEY_B)}
    assert len(a) == 30 and len(b) == 7
    assert not a & b
    assert call(server, "GET", f"/v1/customers/{next(iter(a))}", key=KEY_B).status_code == 404
    made = call(server, "POST", "/v1/customers", key=KEY_B, data={"email": "b@example.com"}).json()
    assert call(server, "GET", f"/v1/customers/{made['id']}", key=KEY_A).status_code == 404


def test_unknown_connected_account_is_refused(server: SandboxServer) -> None:
    answer = call(server, "GET", "/v1/customers", headers={"Stripe-Account": "acct_unknown"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "account_invalid"
    assert KEY_A not in answer.text


def test_same_seed_gives_the_same_objects_and_another_seed_others() -> None:
    spec = {"charges": 40, "customers": 10}

    def dump(seed: int, resource: str) -> bytes:
        return (
            StripeSandbox({KEY_A: SeedSpec(seed=seed, counts=spec, now=1_760_000_000)})
            .account(KEY_A)
            .collections[resource]
            .dump()
        )

    assert dump(9, "charges") == dump(9, "charges")
    assert dump(9, "events") == dump(9, "events")
    assert dump(9, "charges") != dump(10, "charges")


def test_idempotency_key_replays_and_refuses_other_params(server: SandboxServer) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = call(server, "POST", "/v1/customers", data={"email": "i@example.com"}, headers=headers)
    again = call(server, "POST", "/v1/customers", data={"email": "i@example.com"}, headers=headers)
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = call(server, "POST", "/v1/customers", data={"email": "x@example.com"}, headers=headers)
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_create_validates_like_stripe(server: SandboxServer) -> None:
    missing = call(server, "POST", "/v1/charges", data={"currency": "usd"})
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "parameter_missing"
    assert missing.json()["error"]["param"] == "amount"
    bad = call(server, "POST", "/v1/customers", data={"favourite": "x"})
    assert bad.json()["error"]["param"] == "favourite"
    word = call(server, "POST", "/v1/charges", data={"amount": "ten", "currency": "usd"})
    assert word.json()["error"] == {
        "type": "invalid_request_error",
        "message": "Invalid integer: ten",
        "param": "amount",
    }


def test_products_and_prices_can_be_created_and_updated(server: SandboxServer) -> None:
    product = call(server, "POST", "/v1/products", data={"name": "Gift card"}).json()
    price = call(
        server,
        "POST",
        "/v1/prices",
        data={
            "product": product["id"],
            "currency": "JPY",
            "unit_amount": "1500",
            "recurring[interval]": "month",
        },
    ).json()
    assert (price["currency"], price["unit_amount"], price["type"]) == ("jpy", 1500, "recurring")
    assert price["recurring"]["interval"] == "month"
    updated = call(server, "POST", f"/v1/products/{product['id']}", data={"active": "false"}).json()
    assert updated["active"] is False
    assert call(server, "DELETE", f"/v1/products/{product['id']}").json()["deleted"] is True
