"""A provider nothing answers for: each transport says so, within the short unreachable budget."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from connectors.common.retry import RetryPolicy, call_with_retry, set_retry_listener
from connectors.errors import RetriableAPIError, UnreachableError
from connectors.mailchimp.transport import MailchimpTransport
from connectors.square.transport import SquareTransport
from connectors.stripe.transport import StripeTransport


def unused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Clock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def always(error: Exception) -> Callable[[], None]:
    def fn() -> None:
        raise error

    return fn


def test_connection_failures_get_the_unreachable_budget_not_the_total_timeout(monkeypatch):
    monkeypatch.setenv("INTSYNC_UNREACHABLE_SECONDS", "10")
    clock = Clock()
    policy = RetryPolicy(max_attempts=100, max_delay=4.0, total_timeout=300.0)

    with pytest.raises(UnreachableError) as raised:
        call_with_retry(
            always(UnreachableError("stripe x: the provider is unreachable")),
            policy,
            sleep=clock.sleep,
            clock=clock,
            rand=lambda: 0.99,
        )
    other = Clock()
    with pytest.raises(RetriableAPIError):
        call_with_retry(
            always(RetriableAPIError("HTTP 503")), policy, sleep=other.sleep, clock=other
        )

    assert clock.now <= 10.0 < other.now
    assert "gave up after" in str(raised.value) and "INTSYNC_UNREACHABLE_SECONDS" in str(
        raised.value
    )


def test_the_process_wide_listener_hears_every_retry_and_why():
    heard: list[tuple[int, str, float]] = []
    clock = Clock()
    errors = [UnreachableError("no connection"), UnreachableError("no connection")]

    def fn() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    set_retry_listener(lambda attempt, exc, wait: heard.append((attempt, str(exc), wait)))
    try:
        assert call_with_retry(fn, sleep=clock.sleep, clock=clock, rand=lambda: 0.5) == "ok"
    finally:
        set_retry_listener(None)

    assert [(a, text) for a, text, _ in heard] == [(1, "no connection"), (2, "no connection")]


def _stripe(url: str) -> Any:
    transport = StripeTransport(
        {"api_key": "sk_test_unreachable"},
        url,
        max_network_retries=0,
        rate_per_second=100,
        retry_policy=None,
    )
    return lambda: transport.get("/v1/customers", {}, what="customers")


def _square(url: str) -> Any:
    transport = SquareTransport(
        {"access_token": "sq-unreachable"}, url, lambda: "sq-unreachable", rate_per_second=100
    )
    return lambda: transport.call("GET", "/v2/customers", what="customers")


def _mailchimp(url: str) -> Any:
    transport = MailchimpTransport({"api_key": "unreachable-us6"}, url)
    return lambda: transport.get("/lists", {}, what="lists")


@pytest.mark.parametrize("make", [_stripe, _square, _mailchimp], ids=["stripe", "square", "mc"])
def test_a_port_nothing_listens_on_fails_as_unreachable_within_the_budget(make, monkeypatch):
    monkeypatch.setenv("INTSYNC_UNREACHABLE_SECONDS", "2")
    url = f"http://127.0.0.1:{unused_port()}"
    request = make(url)

    started = time.monotonic()
    with pytest.raises(UnreachableError) as raised:
        request()
    took = time.monotonic() - started

    assert took < 2 + 1.5
    message = str(raised.value)
    assert "the provider is unreachable" in message and "connection refused" in message
    assert url in message


def test_a_bad_budget_setting_says_what_to_set(monkeypatch):
    monkeypatch.setenv("INTSYNC_UNREACHABLE_SECONDS", "soon")

    with pytest.raises(Exception, match="INTSYNC_UNREACHABLE_SECONDS='soon' is not a number"):
        call_with_retry(always(UnreachableError("x")), sleep=lambda s: None)
