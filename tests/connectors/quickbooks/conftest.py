"""A served QuickBooks sandbox with two seeded realms, and connectors reading it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.common.rate import forget_budgets
from connectors.common.retry import RetryPolicy
from connectors.quickbooks.client import QuickBooksConnector
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.quickbooks.tokens import MemoryTokenStore
from connectors.sandbox import SandboxServer, SeedSpec

REALM = "9130350000000101"
OTHER_REALM = "9130350000000102"
COUNTS = {
    "customers": 30,
    "items": 8,
    "accounts": 6,
    "invoices": 150,
    "sales_receipts": 25,
    "payments": 40,
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
def qb_sandbox() -> QuickBooksSandbox:
    sandbox = QuickBooksSandbox(
        {REALM: SeedSpec(seed=21, counts=COUNTS), OTHER_REALM: SeedSpec(seed=22, counts={})}
    )
    sandbox.gates.limits.retry_after = 0.05
    return sandbox


@pytest.fixture
def qb_server(qb_sandbox: QuickBooksSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(qb_sandbox) as running:
        yield running


@pytest.fixture
def tokens() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def connector(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, tokens: MemoryTokenStore
) -> Iterator[QuickBooksConnector]:
    made = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, token_store=tokens, retry_policy=FAST_RETRY
    )
    yield made
    made.close()


@pytest.fixture
def store(tmp_path: Path):
    from warehouse.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'store.db'}", "qb-test-key-0123456789") as opened:
        yield opened
