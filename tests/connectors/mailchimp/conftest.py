"""A served Mailchimp sandbox with seeded accounts, and connectors reading it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from connectors.common.rate import forget_budgets
from connectors.common.retry import RetryPolicy
from connectors.mailchimp.client import MailchimpConnector
from connectors.mailchimp.sandbox.app import MailchimpSandbox
from connectors.sandbox import SandboxServer, SeedSpec

KEY = "0123456789abcdef0123456789abcdef-us6"
OTHER_KEY = "fedcba9876543210fedcba9876543210-us9"
TOKEN = "oauth-token-for-sandbox-0001"
COUNTS = {"lists": 3, "members": 1200, "campaigns": 8}
# Quick retries, so fault tests take milliseconds of backoff rather than seconds.
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05, total_timeout=30)


@pytest.fixture(autouse=True)
def fresh_budgets() -> Iterator[None]:
    """Each test starts with no connection budgets registered in the process."""
    forget_budgets()
    yield
    forget_budgets()


@pytest.fixture
def mailchimp_sandbox() -> MailchimpSandbox:
    return MailchimpSandbox(
        {
            KEY: SeedSpec(seed=21, counts=COUNTS),
            OTHER_KEY: SeedSpec(seed=22, counts={"lists": 1, "members": 40, "campaigns": 2}),
            TOKEN: SeedSpec(seed=23, counts={"lists": 2, "members": 30, "campaigns": 3}),
        }
    )


@pytest.fixture
def mailchimp_server(mailchimp_sandbox: MailchimpSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(mailchimp_sandbox) as running:
        yield running


@pytest.fixture
def connect(mailchimp_server: SandboxServer) -> Iterator[Callable[..., MailchimpConnector]]:
    """`connect(api_key=KEY, page_size=...)`: a connector on the served sandbox, closed after."""
    made: list[MailchimpConnector] = []

    def make(page_size: int = 1000, **credentials: str) -> MailchimpConnector:
        connector = MailchimpConnector(
            credentials or {"api_key": KEY},
            mailchimp_server.url,
            retry_policy=FAST_RETRY,
            page_size=page_size,
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


def sandbox_objects(sandbox: MailchimpSandbox, resource: str, key: str = KEY) -> list[Any]:
    """What the sandbox holds now, as the API returns it."""
    return orjson.loads(sandbox.objects(resource, {"account": key}))


def read_all(connector: MailchimpConnector, resource: str, state: dict | None = None) -> Any:
    """(records, deleted_at marks, last page) of one read."""
    pages = list(connector.read(resource, state or {}))
    records = [r for p in pages for r in p.records]
    marks = [m for p in pages for m in (p.deleted_at or [None] * len(p.records))]
    return records, marks, pages[-1]
