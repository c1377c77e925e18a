"""The Square connector against Square's documented error answers, as the sandbox gives them:
each ends as the error class that says what to do, after one request unless it may pass."""

from __future__ import annotations

import pytest

from connectors.errors import AuthenticationError, FatalAPIError
from connectors.square.transport import SquareTransport
from tests.connectors.square.conftest import FAST_RETRY, TOKEN


def _transport(server) -> SquareTransport:
    return SquareTransport(
        {"access_token": TOKEN},
        server.url,
        lambda: TOKEN,
        rate_per_second=1000.0,
        retry_policy=FAST_RETRY,
    )


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/v2/customers/search", {"cursor": "Tk9QRQ=="}, "INVALID_CURSOR"),
        ("/v2/catalog/search", {"cursor": "Tk9QRQ==", "object_types": ["ITEM"]}, "INVALID_CURSOR"),
        ("/v2/customers/search", {"limit": 101}, "VALUE_TOO_HIGH"),
        ("/v2/customers/search", {"limit": 0}, "VALUE_TOO_LOW"),
    ],
)
def test_a_refused_cursor_or_limit_is_fatal_and_not_retried(
    server, square_sandbox, path, body, code
):
    transport = _transport(server)
    try:
        with pytest.raises(FatalAPIError, match=code) as caught:
            transport.call("POST", path, body=body, what="search")
    finally:
        transport.close()
    assert caught.value.status == 400 and not caught.value.retriable
    assert square_sandbox.stats.snapshot()["total"] == 1, "a 400 is not retried"


def test_a_bad_cursor_on_a_list_is_fatal_and_not_retried(server, square_sandbox):
    transport = _transport(server)
    try:
        with pytest.raises(FatalAPIError, match="INVALID_CURSOR"):
            transport.call("GET", "/v2/payments", params={"cursor": "Tk9QRQ=="}, what="payments")
    finally:
        transport.close()
    assert square_sandbox.stats.snapshot()["total"] == 1


def test_an_unknown_id_is_fatal_not_found(connect, square_sandbox):
    with pytest.raises(FatalAPIError, match="NOT_FOUND") as caught:
        connect().fetch("payments", "NOSUCHPAYMENT")
    assert caught.value.status == 404
    assert square_sandbox.stats.snapshot()["total"] == 1


def test_an_unknown_token_says_reconnect_after_one_request(connect, square_sandbox):
    with pytest.raises(AuthenticationError, match="UNAUTHORIZED"):
        list(connect({"access_token": "EAAAnot-issued"}).read("locations", {}))
    assert square_sandbox.stats.snapshot()["total"] == 1


def test_a_rate_limit_is_retried_and_then_read(connect, square_sandbox):
    square_sandbox.injector.update({"script": [429, 429]})
    pages = list(connect().read("locations", {}))
    assert pages[-1].records
    assert square_sandbox.stats.snapshot()["total"] == 3
