"""The real stripe SDK (v16) against the sandbox: lists, paging, writes, raw requests."""

# ruff: noqa: F811  (fixtures imported from stripe_support are redefined as test parameters)

from __future__ import annotations

import orjson
import pytest
import stripe

from tests.connectors.sandbox.stripe_support import KEY_A, client, sandbox, server  # noqa: F401


def test_sdk_lists_customers_newest_first(client: stripe.StripeClient) -> None:
    page = client.v1.customers.list({"limit": 3})
    assert len(page.data) == 3
    assert page.has_more is True
    assert [c.object for c in page.data] == ["customer"] * 3
    created = [c.created for c in page.data]
    assert created == sorted(created, reverse=True)


def test_sdk_auto_paging_reads_every_charge_once(client: stripe.StripeClient) -> None:
    ids = [c.id for c in client.v1.charges.list({"limit": 100}).auto_paging_iter()]
    assert len(ids) == 250
    assert len(set(ids)) == 250
    assert all(i.startswith("ch_") for i in ids)


def test_sdk_create_update_delete_customer(client: stripe.StripeClient) -> None:
    made = client.v1.customers.create({"email": "new@example.com", "metadata": {"tier": "gold"}})
    assert made.id.startswith("cus_")
    assert made.email == "new@example.com"
    changed = client.v1.customers.update(made.id, {"name": "Nia", "metadata": {"tier": "silver"}})
    assert changed.name == "Nia"
    assert changed.metadata.to_dict() == {"tier": "silver"}
    gone = client.v1.customers.delete(made.id)
    assert gone.deleted is True
    assert client.v1.customers.retrieve(made.id).deleted is True


def test_sdk_retrieve_unknown_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.retrieve("ch_doesnotexist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


def test_sdk_raw_request_returns_the_page_body(client: stripe.StripeClient) -> None:
    response = client.raw_request("get", "/v1/charges", limit=100)
    assert response.code == 200
    page = orjson.loads(response.body)
    assert page["object"] == "list"
    assert page["url"] == "/v1/charges"
    assert len(page["data"]) == 100
    assert page["has_more"] is True
    following = orjson.loads(
        client.raw_request(
            "get", "/v1/charges", limit=100, starting_after=page["data"][-1]["id"]
        ).body
    )
    assert following["data"][0]["created"] <= page["data"][-1]["created"]
    assert not {c["id"] for c in following["data"]} & {c["id"] for c in page["data"]}


def test_sdk_refund_updates_the_charge(client: stripe.StripeClient) -> None:
    charge = next(
        c
        for c in client.v1.charges.list({"limit": 50}).data
        if c.status == "succeeded" and not c.refunded
    )
    refund = client.v1.refunds.create({"charge": charge.id, "amount": 1})
    after = client.v1.charges.retrieve(charge.id)
    assert refund.charge == charge.id
    assert after.amount_refunded == charge.amount_refunded + 1
    assert after.refunds.data[0].id == refund.id


def test_sdk_sees_connected_account_through_stripe_account_header(server) -> None:
    connected = stripe.StripeClient(
        KEY_A, base_addresses={"api": server.url}, stripe_account="acct_1ConnectedSandbox"
    )
    customers = connected.v1.customers.list({"limit": 100}).data
    assert len(customers) == 4


@pytest.mark.slow
def test_200k_charges_page_to_the_end() -> None:
    from connectors.sandbox import SandboxServer, SeedSpec
    from connectors.stripe.sandbox.app import StripeSandbox

    big = StripeSandbox({KEY_A: SeedSpec(seed=1, counts={"charges": 200_000})})
    ids = list(big.account(KEY_A).collections["charges"].ids())
    assert len(ids) == 200_000
    with SandboxServer(big) as running:
        sdk = stripe.StripeClient(KEY_A, base_addresses={"api": running.url})
        tail = orjson.loads(
            sdk.raw_request("get", "/v1/charges", limit=100, starting_after=ids[-101]).body
        )
    assert [c["id"] for c in tail["data"]] == ids[-100:]
    assert tail["has_more"] is False
