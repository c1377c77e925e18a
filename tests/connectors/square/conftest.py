"""A served Square sandbox with seeded merchants, and connectors reading it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.common.rate import forget_budgets
from connectors.common.retry import RetryPolicy
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.square.client import SquareConnector
from connectors.square.oauth import Tokens
from connectors.square.sandbox.app import SquareSandbox

TOKEN = "EAAAconnector_tests_1"
OTHER = "EAAAconnector_tests_2"
COUNTS = {"locations": 12, "payments": 300, "orders": 200, "refunds": 20, "customers": 40}
# Quick retries, so fault tests take milliseconds of backoff rather than seconds.
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05, total_timeout=30)


@pytest.fixture(autouse=True)
def fresh_budgets() -> Iterator[None]:
    """Each test starts with no rate budgets registered in the process."""
    forget_budgets()
    yield
    forget_budgets()


@pytest.fixture
def square_sandbox() -> SquareSandbox:
    return SquareSandbox(
        {TOKEN: SeedSpec(seed=21, counts=COUNTS), OTHER: SeedSpec(seed=22, counts={"locations": 1})}
    )


@pytest.fixture
def server(square_sandbox: SquareSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(square_sandbox) as served:
        yield served


@pytest.fixture
def connect(server: SandboxServer) -> Iterator[Callable[..., SquareConnector]]:
    made: list[SquareConnector] = []

    def make(credentials: dict[str, str] | None = None, **kwargs: Any) -> SquareConnector:
        kwargs.setdefault("retry_policy", FAST_RETRY)
        kwargs.setdefault("rate_per_second", 1000.0)
        connector = SquareConnector(credentials or {"access_token": TOKEN}, server.url, **kwargs)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


class MemoryTokens:
    """A token store in memory with the operational store's compare-and-swap on a version."""

    def __init__(self, sandbox: SquareSandbox | None = None) -> None:
        self.saved: Tokens | None = None
        self.sandbox = sandbox
        self.requests_at_save: list[int] = []
        self.saves = 0

    def load(self) -> Tokens | None:
        if self.saved is None:
            return None
        return Tokens(**vars(self.saved))

    def save(self, tokens: Tokens) -> int:
        current = self.saved.version if self.saved else None
        if tokens.version != current:
            raise RuntimeError(f"version {tokens.version} is stale (now {current})")
        if self.sandbox is not None:
            self.requests_at_save.append(self.sandbox.stats.snapshot()["total"])
        self.saves += 1
        self.saved = Tokens(**{**vars(tokens), "version": (current or 0) + 1})
        return self.saved.version
