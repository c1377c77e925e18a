"""Stripe-shaped faults, and how the real SDK (v16) reacts to them."""

# ruff: noqa: F811  (fixtures imported from stripe_support are redefined as test parameters)

from __future__ import annotations

import pytest
import requests
import stripe

from connectors.sandbox import SandboxServer
from tests.connectors.sandbox.stripe_support import (  # noqa: F401
    KEY_A,
    call,
    client,
    sandbox,
    server,
)


def _faults(server: SandboxServer, **changes: object) -> None:
    answer = requests.post(f"{server.url}/_sandbox/faults", json=changes, timeout=5)
    assert answer.status_code == 200, answer.text


def _count(server: SandboxServer, route: str) -> dict[str, int]:
    stats = requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()
    return stats["by_method_path"].get(route, {})


def test_429_has_stripes_header_and_body(server: SandboxServer) -> None:
    _faults(server, rate_limit_probability=1.0)
    answer = call(server, "GET", "/v1/charges")
    assert answer.status_code == 429
    assert answer.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    error = answer.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert "Stripe-Should-Retry" not in answer.headers


def test_sdk_does_not_retry_a_plain_429_even_with_retries_on(server: SandboxServer) -> None:
    _faults(server, script=[429])
    retrying = stripe.StripeClient(KEY_A, base_addresses={"api": server.url}, max_network_retries=2)
    with pytest.raises(stripe.RateLimitError):
        retrying.v1.charges.list({"limit": 1})
    assert _count(server, "GET /v1/charges") == {"429": 1}


def test_sdk_retries_a_500_when_told_to(server: SandboxServer) -> None:
    _faults(server, script=[500])
    retrying = stripe.StripeClient(KEY_A, base_addresses={"api": server.url}, max_network_retries=1)
    assert len(retrying.v1.charges.list({"limit": 2}).data) == 2
    assert _count(server, "GET /v1/charges") == {"500": 1, "200": 1}


def test_5xx_body_is_an_api_error(server: SandboxServer, client: stripe.StripeClient) -> None:
    _faults(server, server_error_probability=1.0, server_error_statuses=[503])
    answer = call(server, "GET", "/v1/customers")
    assert answer.status_code == 503
    assert answer.json()["error"]["type"] == "api_error"
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()


def test_revoked_key_gets_401_with_the_key_masked(
    server: SandboxServer, client: stripe.StripeClient
) -> None:
    _faults(server, revoked_credentials=[KEY_A])
    answer = call(server, "GET", "/v1/customers")
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_****0001",
        }
    }
    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.list()


def test_missing_and_unknown_keys_get_401(server: SandboxServer) -> None:
    assert call(server, "GET", "/v1/customers", key=None).status_code == 401
    unknown = call(server, "GET", "/v1/customers", key="sk_test_nobody_9876")
    assert unknown.status_code == 401
    assert "sk_test_****9876" in unknown.json()["error"]["message"]
    assert "nobody" not in unknown.text


def test_requests_per_second_limit(server: SandboxServer) -> None:
    # a low rate, so that a loaded machine's slow requests do not refill the bucket in time
    _faults(server, requests_per_second=3)
    answers = [call(server, "GET", "/v1/charges", params={"limit": 1}) for _ in range(15)]
    statuses = [a.status_code for a in answers]
    assert statuses[:3] == [200] * 3
    limited = [a for a in answers if a.status_code == 429]
    assert limited
    assert limited[0].headers["Stripe-Rate-Limited-Reason"] == "global-rate"
