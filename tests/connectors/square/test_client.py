"""The Square connector against the in-process sandbox: locations, history, increments, faults."""

from __future__ import annotations

import time

import pytest

from connectors.errors import AuthenticationError, ConfigurationError, RateLimitedError
from connectors.square.sandbox.app import SquareSandbox
from connectors.square.streams import millis
from tests.connectors.square.conftest import TOKEN


def _merchant(sandbox: SquareSandbox, token: str = TOKEN):
    return sandbox.merchant(sandbox.tokens[token][0])


def _read(connector, resource, state=None):
    pages = list(connector.read(resource, state or {}))
    records = [r for p in pages for r in p.records]
    deleted = [d for p in pages for d in (p.deleted_at or [None] * len(p.records))]
    return records, deleted, pages[-1].state


def pages_total(connector, resource):
    return [p.expected_total for p in connector.read(resource, {})][-1]


@pytest.mark.parametrize("resource", ["payments", "refunds", "orders", "customers"])
def test_a_full_read_returns_every_object_of_every_location(connect, square_sandbox, resource):
    records, _, _ = _read(connect(), resource)
    expected = _merchant(square_sandbox).current(resource)
    assert sorted(r["id"] for r in records) == sorted(o["id"] for o in expected)
    if resource == "customers":
        assert pages_total(connect(), resource) == len(expected), "checked against Square's count"
    if resource != "customers":
        places = {o["location_id"] for o in expected}
        assert {r["location_id"] for r in records} == places and len(places) > 1


def test_the_first_read_goes_back_before_squares_one_year_default(connect, square_sandbox):
    year_ago = millis(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 366 * 86400)))
    old = [
        p
        for p in _merchant(square_sandbox).current("payments")
        if millis(p["created_at"]) < year_ago
    ]
    assert old, "the seed holds payments older than a year"
    records, _, _ = _read(connect(), "payments")
    assert {p["id"] for p in old} <= {r["id"] for r in records}


def test_orders_are_searched_ten_locations_at_a_time(connect, square_sandbox):
    connector = connect()
    records, _, _ = _read(connector, "orders")
    searches = sum(square_sandbox.stats.snapshot()["by_path"]["/v2/orders/search"].values())
    assert len(records) == 200 and searches == 2, "12 locations: two searches of at most 10"


def test_an_incremental_read_returns_exactly_the_changes(connect, square_sandbox):
    connector = connect()
    merchant = _merchant(square_sandbox)
    states = {r: _read(connector, r)[2] for r in ("payments", "orders", "catalog_items")}
    touched = set(merchant.touch("payments", 4))
    made = merchant.create("payments", {"location_id": merchant.locations[5]["id"]})
    order = merchant.update("orders", merchant.current("orders")[7]["id"], {"state": "CANCELED"})
    doomed = merchant.current("catalog_items")[0]["id"]
    merchant.delete("catalog_items", doomed)

    payments, _, after = _read(connector, "payments", states["payments"])
    assert {r["id"] for r in payments} == touched | {made["id"]}
    orders, _, _ = _read(connector, "orders", states["orders"])
    assert [(o["id"], o["state"]) for o in orders] == [(order["id"], "CANCELED")]
    items, deleted, _ = _read(connector, "catalog_items", states["catalog_items"])
    assert [(i["id"], d is not None) for i, d in zip(items, deleted, strict=True)] == [
        (doomed, True)
    ]
    again, _, _ = _read(connector, "payments", after)
    assert again == [], "nothing changed: nothing read, the boundary ids are not read twice"


def test_429_and_5xx_are_retried_by_us_only(connect, square_sandbox):
    square_sandbox.injector.update({"script": [429, 500, 503]})
    body = connect().fetch("locations", _merchant(square_sandbox).locations[0]["id"])
    assert body["id"]
    stats = square_sandbox.stats.snapshot()
    assert stats["total"] == 4, "three faults, one success: the SDK's own retries are off"


def test_rate_limits_that_never_end_give_up_with_a_retriable_error(connect, square_sandbox):
    from connectors.common.retry import RetryPolicy

    square_sandbox.injector.update({"rate_limit_probability": 1.0})
    policy = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.001)
    with pytest.raises(RateLimitedError, match="RATE_LIMITED"):
        list(connect(retry_policy=policy).read("locations", {}))
    assert square_sandbox.stats.snapshot()["total"] == 3


def test_a_revoked_token_says_reconnect_without_the_token(connect, square_sandbox):
    square_sandbox.injector.update({"revoked_credentials": [TOKEN]})
    with pytest.raises(AuthenticationError) as caught:
        list(connect().read("payments", {}))
    assert "reconnect" in str(caught.value) and TOKEN not in str(caught.value)
    assert "ACCESS_TOKEN_REVOKED" in str(caught.value)
    assert square_sandbox.stats.snapshot()["total"] == 1


def test_an_unknown_resource_names_the_choices(connect):
    with pytest.raises(ConfigurationError, match="catalog_items"):
        connect().read("charges", {})


def test_a_rate_budget_is_per_merchant_and_never_keyed_by_the_token(connect):
    connector = connect({"access_token": TOKEN, "refresh_token": "r-1"})
    assert connector.budget.key.startswith("square:") and TOKEN not in connector.budget.key
    assert connect({"access_token": "EAAAother", "refresh_token": "r-1"}).budget is connector.budget
