"""A windowed Stripe read (a backfill): the objects created in [start, end), no events, no state."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from connectors.errors import ConfigurationError
from connectors.stripe.client import StripeConnector
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.stripe.conftest import KEY


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_a_window_reads_exactly_the_objects_created_in_it_and_leaves_no_state(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    charges = orjson.loads(stripe_sandbox.objects("charges", {"account": KEY}))
    created = sorted({c["created"] for c in charges})
    start, end = created[len(created) // 4], created[3 * len(created) // 4]
    expected = [c["id"] for c in charges if start <= c["created"] < end]

    pages = list(connector.read("charges", {}, window=(_at(start), _at(end))))

    assert [r["id"] for p in pages for r in p.records] == expected
    assert 0 < len(expected) < len(charges)
    assert all(p.state is None for p in pages)
    calls = stripe_sandbox.stats.snapshot()["by_method_path"]
    assert "GET /v1/events" not in calls


def test_a_window_ignores_the_saved_cursor(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    customers = orjson.loads(stripe_sandbox.objects("customers", {"account": KEY}))
    newest = max(c["created"] for c in customers)
    state = {"created_cursor": newest, "events_cursor": newest, "events_checked_at": newest}

    pages = connector.read("customers", state, window=(_at(0), _at(newest + 1)))

    assert len([r for p in pages for r in p.records]) == len(customers)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ((_at(200), _at(100)), "window end .* is not after start"),
        ((datetime(2024, 1, 2), _at(100)), "window start .*: give a timezone-aware datetime"),
    ],
)
def test_a_bad_window_is_a_configuration_error_naming_the_fix(
    connector: StripeConnector, window, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        connector.read("customers", {}, window=window)
