"""Stripe sandbox fixtures (imported by the Stripe sandbox tests): a served sandbox with two seeded accounts, and SDK clients on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import stripe

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox

KEY_A = "sk_test_alpha_0001"
KEY_B = "sk_test_bravo_0002"
CONNECTED = "acct_1ConnectedSandbox"
SMALL = {
    "customers": 30,
    "charges": 250,
    "refunds": 10,
    "payment_intents": 40,
    "invoices": 12,
    "subscriptions": 10,
    "payouts": 5,
    "balance_transactions": 20,
    "disputes": 3,
    "products": 4,
    "prices": 8,
}


@pytest.fixture
def sandbox() -> StripeSandbox:
    return StripeSandbox(
        {
            KEY_A: SeedSpec(seed=1, counts=SMALL),
            KEY_B: SeedSpec(seed=2, counts={"customers": 7, "charges": 9}),
            CONNECTED: SeedSpec(seed=3, counts={"customers": 4}),
        }
    )


@pytest.fixture
def server(sandbox: StripeSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient(KEY_A, base_addresses={"api": server.url})


@pytest.fixture
def client_b(server: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient(KEY_B, base_addresses={"api": server.url})


def call(
    server: SandboxServer,
    method: str,
    path: str,
    *,
    key: str | None = KEY_A,
    params: dict | list | None = None,
    data: dict | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One raw HTTP request to the Stripe sandbox, authenticated as the SDK does."""
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    return requests.request(
        method, server.url + path, params=params, data=data, headers=sent, timeout=10
    )


def list_all(
    server: SandboxServer, resource: str, key: str = KEY_A, **params: object
) -> list[dict]:
    """Every object of a list endpoint, following starting_after to the last page."""
    out: list[dict] = []
    cursor = None
    while True:
        query = {"limit": 100, **params}
        if cursor:
            query["starting_after"] = cursor
        page = call(server, "GET", f"/v1/{resource}", key=key, params=query).json()
        out += page["data"]
        if not page["has_more"]:
            return out
        cursor = page["data"][-1]["id"]
