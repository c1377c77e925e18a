"""Errors, retries, the 10-connection limit and short listings, against the sandbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from mailchimp_marketing import Client
from mailchimp_marketing.api_client import ApiClientError

from connectors.errors import AuthenticationError, RetriableAPIError
from connectors.mailchimp.client import MailchimpConnector
from connectors.mailchimp.problems import problem_message
from connectors.mailchimp.transport import MAX_CONNECTIONS
from tests.connectors.mailchimp.conftest import FAST_RETRY, KEY, OTHER_KEY, read_all


def test_revoked_key_is_a_reconnect_error_without_the_key(connect, mailchimp_sandbox):
    mailchimp_sandbox.injector.update({"revoked_credentials": [KEY]})
    with pytest.raises(AuthenticationError) as caught:
        read_all(connect(), "members")
    message = str(caught.value)
    assert "reconnect the Mailchimp account" in message and "API Key Invalid" in message
    assert KEY not in message and KEY.split("-")[0] not in message
    assert read_all(connect(api_key=OTHER_KEY), "members")[2].expected_total == 40


def test_5xx_and_429_are_retried_until_the_read_completes(connect, mailchimp_sandbox):
    mailchimp_sandbox.injector.update(
        {"server_error_probability": 0.3, "rate_limit_probability": 0.1, "seed": 5}
    )
    records, _, last = read_all(connect(page_size=100), "members")
    assert len({r["uid"] for r in records}) == last.expected_total == 1200
    by_status = mailchimp_sandbox.stats.snapshot()["by_status"]
    assert set(by_status) - {"200"}, "faults were served and survived"


def test_persistent_5xx_gives_up_as_retriable(mailchimp_server, mailchimp_sandbox):
    mailchimp_sandbox.injector.update({"server_error_probability": 1.0})
    connector = MailchimpConnector(
        {"api_key": KEY}, mailchimp_server.url, retry_policy=FAST_RETRY.__class__(max_attempts=2)
    )
    with pytest.raises(RetriableAPIError, match="Internal Server Error"):
        read_all(connector, "lists")


def test_twenty_concurrent_member_reads_never_hold_more_than_ten_connections(
    mailchimp_server, mailchimp_sandbox
):
    # the added latency is what keeps ten requests in flight at once: it has to dwarf the time the
    # sandbox spends building a page under its lock, or a busy machine sees a lower peak
    mailchimp_sandbox.injector.update({"latency_ms": 100.0})

    def read_members(_: int) -> int:
        connector = MailchimpConnector(
            {"api_key": KEY}, mailchimp_server.url, retry_policy=FAST_RETRY, page_size=200
        )
        try:
            return len(read_all(connector, "members")[0])
        finally:
            connector.close()

    with ThreadPoolExecutor(20) as pool:
        counts = list(pool.map(read_members, range(20)))
    assert counts == [1200] * 20
    info = mailchimp_sandbox.info()["connections"]
    assert info["refused"] == 0, "no request was turned away for too many connections"
    assert MAX_CONNECTIONS - 2 <= info["peak"] <= MAX_CONNECTIONS, "they ran about ten at once"


def test_the_sandbox_refuses_the_eleventh_connection(mailchimp_server, mailchimp_sandbox):
    mailchimp_sandbox.injector.update({"latency_ms": 150.0})
    url = mailchimp_server.url + "/3.0/lists"

    def call(_: int) -> int:
        return requests.get(url, auth=("user", KEY), timeout=10).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(16)))
    assert statuses.count(429) >= 1 and statuses.count(200) >= MAX_CONNECTIONS - 2
    assert mailchimp_sandbox.info()["connections"]["peak"] == MAX_CONNECTIONS


def test_hidden_members_shorten_the_read_but_not_what_mailchimp_reports(connect, mailchimp_sandbox):
    list_id = next(iter(mailchimp_sandbox.account(KEY).lists))
    mailchimp_sandbox.mutate({"action": "hide_members", "list_id": list_id, "count": 25})
    records, _, last = read_all(connect(page_size=100), "members")
    assert len(records) == 1175 and last.expected_total == 1200


def test_sdk_error_text_is_problem_json(mailchimp_server):
    client = Client({"api_key": KEY})
    client.api_client.host = mailchimp_server.url + "/3.0"
    with pytest.raises(ApiClientError) as caught:
        client.lists.get_list("nosuchlist")
    assert caught.value.status_code == 404 and isinstance(caught.value.text, str)
    assert problem_message(caught.value.text).startswith("Resource Not Found: ")


def test_problem_message_reads_field_errors_and_plain_text():
    body = (
        '{"title": "Invalid Resource", "status": 400, "detail": "Check the fields.",'
        ' "errors": [{"field": "email_address", "message": "blank"}]}'
    )
    assert problem_message(body) == "Invalid Resource: Check the fields. (email_address: blank)"
    assert problem_message("<html>gateway</html>") == "<html>gateway</html>"


def test_429s_are_waited_out_with_backoff(connect, mailchimp_sandbox):
    mailchimp_sandbox.injector.update({"script": [429, 429, 503]})
    lists, _, last = read_all(connect(), "lists")
    assert len(lists) == last.expected_total == 3
    statuses = mailchimp_sandbox.stats.snapshot()["by_status"]
    assert statuses.get("429") == 2 and statuses.get("503") == 1
