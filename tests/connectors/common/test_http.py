from __future__ import annotations

import pytest

from connectors.common.http import error_for_status, parse_retry_after
from connectors.errors import (
    AuthenticationError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitedError),
        (500, RetriableAPIError),
        (503, RetriableAPIError),
        (409, RetriableAPIError),
        (400, FatalAPIError),
        (404, FatalAPIError),
        (422, FatalAPIError),
    ],
)
def test_status_maps_to_what_the_caller_should_do(status: int, cls: type) -> None:
    err = error_for_status(status, "boom", provider="stripe")
    assert type(err) is cls
    assert err.status == status
    assert err.provider == "stripe"
    assert err.retriable == issubclass(cls, RetriableAPIError)


def test_auth_errors_say_to_reconnect() -> None:
    err = error_for_status(401, "Invalid API key", provider="square")
    assert str(err) == "Invalid API key: reconnect the square account"
    err = error_for_status(403, "no", provider="stripe", reconnect_hint="reconnect Stripe")
    assert str(err) == "no: reconnect Stripe"


def test_rate_limited_carries_the_hint() -> None:
    err = error_for_status(429, "slow down", provider="x", retry_after=3.5)
    assert isinstance(err, RateLimitedError)
    assert err.retry_after == 3.5


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parses_seconds_and_dates(header: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=now) == seconds
