"""A served Stripe sandbox with seeded accounts, and connectors reading it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.common.rate import forget_budgets
from connectors.common.retry import RetryPolicy
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.client import StripeConnector
from connectors.stripe.sandbox.app import StripeSandbox

KEY = "sk_test_connector_0001"
OTHER_KEY = "sk_test_connector_0002"
CONNECTED = "acct_1ConnectorTests"
COUNTS = {
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
# Quick retries, so fault tests take milliseconds of backoff rather than seconds.
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05, total_timeout=30)


@pytest.fixture(autouse=True)
def fresh_budgets() -> Iterator[None]:
    """Each test starts with no rate budgets registered in the process."""
    forget_budgets()
    yield
    forget_budgets()


@pytest.fixture
def stripe_sandbox() -> StripeSandbox:
    return StripeSandbox(
        {
            KEY: SeedSpec(seed=11, counts=COUNTS),
            OTHER_KEY: SeedSpec(seed=12, counts={"customers": 5}),
            CONNECTED: SeedSpec(seed=13, counts={"customers": 6}),
        }
    )


@pytest.fixture
def stripe_server(stripe_sandbox: StripeSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(stripe_sandbox) as running:
        yield running


@pytest.fixture
def connector(stripe_server: SandboxServer) -> Iterator[StripeConnector]:
    made = StripeConnector(
        {"api_key": KEY}, stripe_server.url, rate_per_second=1000, retry_policy=FAST_RETRY
    )
    yield made
    made.close()
