"""The Mailchimp connector against Mailchimp's documented error answers, as the sandbox gives them:
each ends as the error class that says what to do, after one request unless it may pass."""

from __future__ import annotations

import pytest

from connectors.errors import AuthenticationError, FatalAPIError
from connectors.mailchimp.transport import MailchimpTransport
from tests.connectors.mailchimp.conftest import FAST_RETRY, KEY, read_all


def requests_served(sandbox) -> int:
    return sandbox.stats.snapshot()["total"]


@pytest.mark.parametrize(
    ("params", "field"), [({"count": 1001}, "count"), ({"offset": -1}, "offset")]
)
def test_a_bad_count_or_offset_is_fatal_after_one_request(
    mailchimp_server, mailchimp_sandbox, params, field
):
    transport = MailchimpTransport({"api_key": KEY}, mailchimp_server.url, retry_policy=FAST_RETRY)
    try:
        with pytest.raises(FatalAPIError, match=f"Invalid Resource.*{field}") as caught:
            transport.get("/lists", params, what="lists")
    finally:
        transport.close()
    assert caught.value.status == 400 and not caught.value.retriable
    assert requests_served(mailchimp_sandbox) == 1, "a 400 is not retried"


def test_a_page_size_above_mailchimps_maximum_fails_the_read_at_once(connect, mailchimp_sandbox):
    with pytest.raises(FatalAPIError, match="count"):
        read_all(connect(page_size=5000), "campaigns")
    assert requests_served(mailchimp_sandbox) == 1


def test_a_bad_api_key_says_reconnect_after_one_request(connect, mailchimp_sandbox):
    with pytest.raises(AuthenticationError, match="API Key Invalid") as caught:
        read_all(connect(api_key="0000000000000000000000000000dead-us6"), "members")
    assert "reconnect" in str(caught.value) and "dead" not in str(caught.value)
    assert requests_served(mailchimp_sandbox) == 1, "no retry storm on a refused key"


def test_an_unknown_id_is_fatal_not_found_after_one_request(connect, mailchimp_sandbox):
    with pytest.raises(FatalAPIError, match="Resource Not Found") as caught:
        connect().fetch("campaigns", "nosuchcampaign")
    assert caught.value.status == 404
    assert requests_served(mailchimp_sandbox) == 1


def test_a_rate_limit_is_retried_and_then_read(connect, mailchimp_sandbox):
    mailchimp_sandbox.injector.update({"script": [429, 429]})
    records, _, last = read_all(connect(), "lists")
    assert len(records) == last.expected_total == 3
    assert requests_served(mailchimp_sandbox) == 3
    assert mailchimp_sandbox.stats.snapshot()["by_status"].get("429") == 2
