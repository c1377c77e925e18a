"""Intuit's error bodies become errors that say what to do, and throttles wait as Intuit says."""

from __future__ import annotations

import orjson
import pytest

from connectors.errors import (
    AuthenticationError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
)
from connectors.quickbooks.client import QuickBooksConnector
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.quickbooks.transport import fault_error, parse_fault
from connectors.sandbox import SandboxServer
from tests.connectors.quickbooks.conftest import FAST_RETRY, REALM

VALIDATION = orjson.dumps(
    {"Fault": {"Error": [{"Message": "Error parsing query", "Detail": "QueryParserError: bad",
                          "code": "4000"}], "type": "ValidationFault"}, "time": "x"}
)  # fmt: skip
AUTH = orjson.dumps(
    {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200",
                          "detail": "Token expired", "code": "3200"}], "type": "AUTHENTICATION"}}
)  # fmt: skip


def test_fault_bodies_are_read_in_either_spelling():
    assert parse_fault(VALIDATION) == (
        "ValidationFault", [("4000", "Error parsing query", "QueryParserError: bad")]
    )  # fmt: skip
    assert parse_fault(AUTH)[0] == "AUTHENTICATION"
    assert parse_fault(b"<html>bad gateway</html>") == ("", [("", "<html>bad gateway</html>", "")])


def test_each_status_becomes_the_error_to_act_on():
    bad = fault_error(400, VALIDATION, {}, "invoices query")
    assert isinstance(bad, FatalAPIError)
    assert str(bad) == (
        "quickbooks invoices query: HTTP 400 ValidationFault: [4000] Error parsing query "
        "(QueryParserError: bad)"
    )
    assert isinstance(fault_error(401, AUTH, {}, "x"), AuthenticationError)
    assert "reconnect" in str(fault_error(401, AUTH, {}, "x"))
    throttled = fault_error(429, b"{}", {}, "x")
    assert isinstance(throttled, RateLimitedError) and throttled.retry_after == 60.0
    told = fault_error(429, b"{}", {"Retry-After": "12"}, "x")
    assert isinstance(told, RateLimitedError) and told.retry_after == 12.0
    assert isinstance(fault_error(503, b"", {}, "x"), RetriableAPIError)


def test_a_throttled_read_waits_as_long_as_intuit_says(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    qb_sandbox.gates.limits.retry_after = 7
    qb_sandbox.injector.update({"script": [429], "path_prefix": "/v3/"})
    waits: list[float] = []
    connector = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, retry_policy=FAST_RETRY, sleep=waits.append
    )
    records = [r for p in connector.read("accounts", {}) for r in p.records]
    connector.close()
    assert len(records) == len(qb_sandbox.company(REALM).stores["Account"])
    assert waits == [7.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_that_persists_is_retriable_and_says_so(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, status: int
):
    qb_sandbox.injector.update(
        {"server_error_probability": 1.0, "server_error_statuses": [status], "path_prefix": "/v3/"}
    )
    connector = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, retry_policy=FAST_RETRY
    )
    with pytest.raises(RetriableAPIError, match=f"HTTP {status} SystemFault"):
        list(connector.read("items", {}))
    connector.close()
