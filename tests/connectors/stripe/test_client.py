"""The Stripe connector against the Stripe sandbox, through the real SDK transport."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from connectors.base import Page
from connectors.common.rate import forget_budgets
from connectors.common.retry import NO_RETRY
from connectors.common.times import iso_utc
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
)
from connectors.sandbox import SandboxServer
from connectors.stripe.client import StripeConnector
from connectors.stripe.resources import RESOURCES
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.stripe.conftest import CONNECTED, FAST_RETRY, KEY

DAY = 86_400


@dataclass
class Read:
    """Everything one read gave, and what the pipeline would keep (first occurrence per id)."""

    pages: list[Page]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for p in self.pages for r in p.records]

    @property
    def marks(self) -> list[str | None]:
        return [m for p in self.pages for m in (p.deleted_at or [None] * len(p.records))]

    @property
    def first(self) -> dict[str, tuple[dict[str, Any], str | None]]:
        kept: dict[str, tuple[dict[str, Any], str | None]] = {}
        for record, mark in zip(self.records, self.marks, strict=True):
            kept.setdefault(record["id"], (record, mark))
        return kept

    @property
    def state(self) -> dict[str, Any]:
        assert self.pages[-1].state is not None
        return self.pages[-1].state

    @property
    def notes(self) -> list[str]:
        return [n for p in self.pages for n in p.notes]


def read(connector: StripeConnector, resource: str, state: dict | None = None, **kw) -> Read:
    pages = list(connector.read(resource, state or {}, **kw))
    assert all(p.state is None for p in pages[:-1]), "state only on the last page"
    return Read(pages)


def objects(sandbox: StripeSandbox, resource: str, account: str = KEY) -> list[dict[str, Any]]:
    return orjson.loads(sandbox.objects(resource, {"account": account}))


def requests(sandbox: StripeSandbox, method_path: str | None = None) -> int:
    stats = sandbox.stats.snapshot()
    if method_path is None:
        return stats["total"]
    return sum(stats["by_method_path"].get(method_path, {}).values())


def test_full_read_equals_the_account_for_every_resource(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    for resource in connector.resources():
        expected = objects(stripe_sandbox, resource)
        got = read(connector, resource)
        assert got.records == expected, resource  # every field, newest first
        assert all(mark is None for mark in got.marks)
        assert got.state["created_cursor"] == max(o["created"] for o in expected)
    assert set(connector.resources()) == set(RESOURCES)


def test_full_read_pages_through_every_charge(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    got = read(connector, "charges")
    assert [len(p.records) for p in got.pages] == [100, 100, 50]
    assert len({r["id"] for r in got.records}) == 250
    assert requests(stripe_sandbox, "GET /v1/charges") == 3
    assert requests(stripe_sandbox, "GET /v1/events") == 1  # the events cursor, taken first


def test_incremental_read_returns_exactly_the_changes_newest_first(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    start = read(connector, "customers").state
    seeded = [c["id"] for c in objects(stripe_sandbox, "customers")]
    changed, gone, untouched = seeded[3], seeded[4], seeded[5]
    new = stripe_sandbox.create(KEY, "customers", {"email": "new@example.com"})["id"]
    stripe_sandbox.update(KEY, "customers", new, {"name": "Renamed"})
    stripe_sandbox.update(KEY, "customers", changed, {"name": "First"})
    stripe_sandbox.update(KEY, "customers", changed, {"name": "Second"})
    stripe_sandbox.delete(KEY, "customers", gone)

    got = read(connector, "customers", start)

    # the new object's listed state, then events newest first
    assert [r["id"] for r in got.records] == [new, gone, changed, changed, new, new]
    assert [r.get("name") for r in got.records][2:4] == ["Second", "First"]
    now = {c["id"]: c for c in objects(stripe_sandbox, "customers")}
    kept = got.first
    assert set(kept) == {new, changed, gone}
    assert untouched not in kept
    assert kept[new] == (now[new], None)
    assert kept[changed] == (now[changed], None)
    deletion = next(e for e in stripe_sandbox.events(KEY) if e["type"] == "customer.deleted")
    assert kept[gone][0]["id"] == gone
    assert kept[gone][1] == iso_utc(deletion["created"])

    again = read(connector, "customers", got.state)
    assert again.records == []  # nothing changed since: nothing comes back
    assert again.state["created_cursor"] == got.state["created_cursor"]


def test_objects_of_the_cursor_second_are_taken_once(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    frozen = int(time.time()) + 100  # after every seeded object
    stripe_sandbox.account(KEY).clock = lambda: frozen
    first = stripe_sandbox.create(KEY, "products", {"name": "A"})["id"]
    state = read(connector, "products").state
    assert state["created_cursor"] == frozen
    second = stripe_sandbox.create(KEY, "products", {"name": "B"})["id"]  # the same second

    got = read(connector, "products", state)
    assert [r["id"] for r in got.records] == [second, second]  # listed, then its event
    assert first not in got.first


def test_a_bulk_change_in_one_second_is_read_once(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    start = read(connector, "customers").state
    frozen = int(time.time()) + 100
    stripe_sandbox.account(KEY).clock = lambda: frozen
    seeded = [c["id"] for c in objects(stripe_sandbox, "customers")]
    bulk = seeded[:25]  # more events in one second than the boundary probe asks for
    for customer in bulk:
        stripe_sandbox.update(KEY, "customers", customer, {"name": "Bulk"})

    got = read(connector, "customers", start)
    assert sorted(got.first) == sorted(bulk)
    assert got.state["events_cursor"] == frozen
    assert len(got.state["events_cursor_ids"]) == 25, "the read named the second's events"

    again = read(connector, "customers", got.state)
    assert again.records == [], "a bulk change is not read again by every later sync"
    late = seeded[-1]
    stripe_sandbox.update(KEY, "customers", late, {"name": "Late"})  # the same second
    last = read(connector, "customers", again.state)
    assert [r["id"] for r in last.records] == [late]


def test_read_completes_the_same_through_429s_and_5xx(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update(
        {"rate_limit_probability": 0.25, "server_error_probability": 0.25, "seed": 5}
    )
    for resource in connector.resources():
        assert read(connector, resource).records == objects(stripe_sandbox, resource)
    by_status = stripe_sandbox.stats.snapshot()["by_status"]
    assert by_status.get("429", 0) > 0
    assert by_status.get("500", 0) + by_status.get("503", 0) > 0


def test_a_revoked_key_fails_at_once_and_says_reconnect(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update({"revoked_credentials": [KEY]})
    with pytest.raises(AuthenticationError) as caught:
        list(connector.read("customers", {}))
    assert requests(stripe_sandbox) == 1  # no retries
    message = str(caught.value)
    assert "reconnect the Stripe account" in message
    assert caught.value.status == 401
    assert KEY not in message
    assert KEY[-4:] not in message  # not even the masked form Stripe echoes


def test_a_rejected_request_is_fatal_and_names_the_resource(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update({"script": [400]})
    with pytest.raises(FatalAPIError, match=r"stripe charges events: HTTP 400: Scripted 400"):
        list(connector.read("charges", {}))
    assert requests(stripe_sandbox) == 1


def test_persistent_5xx_gives_up_retriable_after_bounded_attempts(
    stripe_server: SandboxServer, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update({"server_error_probability": 1.0})
    policy = FAST_RETRY.__class__(max_attempts=3, base_delay=0.01)
    connector = StripeConnector({"api_key": KEY}, stripe_server.url, retry_policy=policy)
    with pytest.raises(RetriableAPIError, match="HTTP 5") as caught:
        list(connector.read("customers", {}))
    assert "gave up after 3 attempt(s)" in "".join(caught.value.__notes__)
    assert requests(stripe_sandbox) == 3


def test_sdk_retries_and_ours_do_not_multiply(
    stripe_server: SandboxServer, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update({"server_error_probability": 1.0})
    connector = StripeConnector(
        {"api_key": KEY}, stripe_server.url, max_network_retries=2, retry_policy=None
    )
    with pytest.raises(RetriableAPIError):
        list(connector.read("customers", {}))
    assert requests(stripe_sandbox) == 3  # the SDK's 1 + 2, not multiplied by our attempts


def test_a_stale_events_cursor_gives_a_full_read_with_a_note(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    start = read(connector, "customers").state
    month_ago = start["events_checked_at"] - 31 * DAY
    stale = {**start, "events_cursor": month_ago, "events_checked_at": month_ago}
    got = read(connector, "customers", stale)
    assert got.records == objects(stripe_sandbox, "customers")
    assert len(got.notes) == 1
    assert "older than Stripe's 30-day event retention: full re-read" in got.notes[0]
    assert got.pages[-1].listed_all, "what the read did not list is marked deleted"

    recent = start["events_checked_at"] - 29 * DAY
    fresh = {**start, "events_checked_at": recent}
    incremental = read(connector, "customers", fresh)
    assert incremental.notes == []
    assert not any(page.listed_all for page in incremental.pages)


def test_full_refresh_reads_everything_whatever_the_state(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    state = read(connector, "prices").state
    got = read(connector, "prices", state, full_refresh=True)
    assert got.records == objects(stripe_sandbox, "prices")


def _read_everything(connector: StripeConnector, errors: list[BaseException]) -> None:
    try:
        for resource in connector.resources():
            read(connector, resource)
    except BaseException as exc:  # handed to the test thread
        errors.append(exc)


def _run_two(connectors: list[StripeConnector]) -> list[BaseException]:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_read_everything, args=(c, errors)) for c in connectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_two_syncs_of_one_account_share_its_rate_budget(
    stripe_server: SandboxServer, stripe_sandbox: StripeSandbox
) -> None:
    # Stripe allows 25/s here; each sync alone may go 20/s, so only a shared budget stays under.
    stripe_sandbox.injector.update({"requests_per_second": 25})
    pair = [
        StripeConnector(
            {"api_key": KEY}, stripe_server.url, rate_per_second=20, retry_policy=NO_RETRY
        )
        for _ in range(2)
    ]
    assert pair[0].budget is pair[1].budget
    assert KEY not in pair[0].budget.key
    assert _run_two(pair) == []
    assert pair[0].budget.requests == requests(stripe_sandbox) > 40


def test_without_a_shared_budget_the_same_load_is_refused(
    stripe_server: SandboxServer, stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.injector.update({"requests_per_second": 25})
    pair = []
    for _ in range(2):
        forget_budgets()  # each connector gets a budget of its own
        pair.append(
            StripeConnector(
                {"api_key": KEY}, stripe_server.url, rate_per_second=20, retry_policy=NO_RETRY
            )
        )
    errors = _run_two(pair)
    assert errors and all(isinstance(e, RateLimitedError) for e in errors)


def test_a_connected_account_is_read_through_stripe_account(
    stripe_server: SandboxServer, stripe_sandbox: StripeSandbox
) -> None:
    connector = StripeConnector(
        {"api_key": KEY, "account_id": CONNECTED}, stripe_server.url, rate_per_second=1000
    )
    assert connector.budget.key == f"stripe:{CONNECTED}"
    got = read(connector, "customers")
    assert got.records == objects(stripe_sandbox, "customers", CONNECTED)
    assert len(got.records) == 6


def test_fetch_returns_one_object_as_it_is_now(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    customer = objects(stripe_sandbox, "customers")[0]
    assert connector.fetch("customers", customer["id"]) == customer
    stripe_sandbox.delete(KEY, "customers", customer["id"])
    assert connector.fetch("customers", customer["id"]) == {
        "id": customer["id"],
        "object": "customer",
        "deleted": True,
    }
    with pytest.raises(FatalAPIError, match="stripe charges ch_missing: HTTP 404: No such charge"):
        connector.fetch("charges", "ch_missing")


def test_setup_mistakes_are_configuration_errors(stripe_server: SandboxServer) -> None:
    with pytest.raises(ConfigurationError, match="stripe needs credential api_key"):
        StripeConnector({}, stripe_server.url)
    with pytest.raises(ConfigurationError, match="must start with http"):
        StripeConnector({"api_key": KEY}, "localhost:9")
    connector = StripeConnector({"api_key": KEY}, stripe_server.url)
    with pytest.raises(ConfigurationError, match="stripe has no resource 'charge': choose from"):
        connector.read("charge", {})
