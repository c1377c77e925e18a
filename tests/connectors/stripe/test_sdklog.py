"""The SDK's request log lines: skipped when nothing would print them, as before when wanted."""

from __future__ import annotations

import logging

import pytest
import stripe._api_requestor as requestor
from stripe import _util

from connectors.stripe import sdklog
from connectors.stripe.client import StripeConnector


def test_nothing_is_formatted_when_no_one_listens(
    connector: StripeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    formatted: list[dict[str, object]] = []
    monkeypatch.setattr(_util, "logfmt", lambda props: formatted.append(props) or "")
    logging.getLogger("stripe").setLevel(logging.WARNING)
    pages = list(connector.read("customers", {}))
    assert pages and formatted == []


def test_debug_lines_appear_when_the_stripe_logger_wants_them(
    connector: StripeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="stripe"):
        list(connector.read("customers", {}))
    messages = [r.getMessage() for r in caplog.records if r.name == "stripe"]
    assert any("message='API response body'" in m for m in messages)
    assert any("Request to Stripe api" in m for m in messages)


def test_installing_twice_wraps_once() -> None:
    sdklog.install()
    sdklog.install()
    assert not hasattr(requestor.log_debug.wrapped, "wrapped")
