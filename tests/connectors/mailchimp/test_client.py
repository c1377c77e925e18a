"""The Mailchimp connector against the in-process sandbox: full and incremental reads."""

from __future__ import annotations

import time

import pytest

from connectors.common.times import parse_iso
from connectors.errors import AuthenticationError, ConfigurationError, FatalAPIError
from connectors.mailchimp.resources import REPORT_LOOKBACK_SECONDS
from connectors.mailchimp.sandbox.app import MailchimpSandbox
from tests.connectors.mailchimp.conftest import KEY, TOKEN, read_all, sandbox_objects


def test_full_member_read_holds_every_member_of_every_audience_once(connect, mailchimp_sandbox):
    records, marks, last = read_all(connect(page_size=100), "members")
    expected = sandbox_objects(mailchimp_sandbox, "members")
    uids = [r["uid"] for r in records]
    assert len(uids) == len(set(uids)) == len(expected) == 1200
    assert {f"{m['list_id']}:{m['id']}" for m in expected} == set(uids)
    assert last.expected_total == 1200, "a full read says what Mailchimp reports exists"
    shared = {r["id"] for r in records if r["list_id"] == records[0]["list_id"]} & {
        r["id"] for r in records if r["list_id"] != records[0]["list_id"]
    }
    assert shared, "the same address in two audiences has one member id and two rows"


def test_archived_members_come_marked_deleted_and_others_not(connect):
    records, marks, _ = read_all(connect(), "members")
    archived = [m for r, m in zip(records, marks, strict=True) if r["status"] == "archived"]
    others = [m for r, m in zip(records, marks, strict=True) if r["status"] != "archived"]
    assert archived and all(archived)
    assert not any(others), "unsubscribed and cleaned members are still in the audience"


def test_incremental_read_returns_only_changed_members(connect, mailchimp_sandbox):
    connector = connect()
    _, _, first = read_all(connector, "members")
    quiet, _, again = read_all(connector, "members", first.state)
    assert quiet == [] and again.expected_total is None
    assert again.state == first.state

    members = sandbox_objects(mailchimp_sandbox, "members")
    target, doomed = members[5], members[9]
    mailchimp_sandbox.mutate(
        {"action": "update_member", "account": KEY, "list_id": target["list_id"],
         "id": target["id"], "fields": {"merge_fields": {"FNAME": "Renamed"}}}
    )  # fmt: skip
    mailchimp_sandbox.mutate(
        {"action": "archive_member", "list_id": doomed["list_id"], "id": doomed["id"]}
    )
    new = mailchimp_sandbox.mutate(
        {"action": "create_member", "list_id": target["list_id"],
         "fields": {"email_address": "New.Guest@Example.org", "status": "subscribed"}}
    )  # fmt: skip
    changed, marks, last = read_all(connector, "members", first.state)
    by_uid = dict(zip([r["uid"] for r in changed], marks, strict=True))
    assert set(by_uid) == {
        f"{target['list_id']}:{target['id']}",
        f"{doomed['list_id']}:{doomed['id']}",
        f"{new['list_id']}:{new['id']}",
    }
    assert by_uid[f"{doomed['list_id']}:{doomed['id']}"] is not None
    renamed = next(r for r in changed if r["id"] == target["id"])
    assert renamed["merge_fields"]["FNAME"] == "Renamed"
    assert last.expected_total is None, "no completeness claim on an incremental read"
    assert read_all(connector, "members", last.state)[0] == []


def test_campaigns_incremental_takes_new_and_newly_sent(connect, mailchimp_sandbox):
    connector = connect()
    campaigns, _, first = read_all(connector, "campaigns")
    assert len(campaigns) == first.expected_total == 8
    draft = next(c for c in campaigns if c["status"] == "save")
    list_id = campaigns[0]["recipients"]["list_id"]
    mailchimp_sandbox.mutate({"action": "send_campaign", "id": draft["id"]})
    made = mailchimp_sandbox.mutate(
        {"action": "create_campaign", "list_id": list_id, "title": "Encore", "send": False}
    )
    changed, _, last = read_all(connector, "campaigns", first.state)
    assert {c["id"] for c in changed} == {draft["id"], made["id"]}
    assert next(c for c in changed if c["id"] == draft["id"])["status"] == "sent"
    assert read_all(connector, "campaigns", last.state)[0] == []


def test_reports_are_read_again_within_the_lookback(connect, mailchimp_sandbox):
    connector = connect()
    reports, _, first = read_all(connector, "reports")
    assert (
        len(reports) == first.expected_total == len(sandbox_objects(mailchimp_sandbox, "reports"))
    )
    sent = mailchimp_sandbox.mutate(
        {"action": "create_campaign", "list_id": reports[0]["list_id"], "title": "Late show"}
    )
    again, _, _ = read_all(connector, "reports", first.state)
    assert sent["id"] in {r["id"] for r in again}
    lookback = time.time() - REPORT_LOOKBACK_SECONDS
    recent = {r["id"] for r in reports if parse_iso(r["send_time"]) >= lookback}
    since = min(first.state["sent_cursor"], lookback)
    older = {r["id"] for r in reports if parse_iso(r["send_time"]) < since}
    assert recent <= {r["id"] for r in again}
    assert not older & {r["id"] for r in again}, "older reports are not read again"


def test_lists_are_read_whole(connect, mailchimp_sandbox):
    lists, _, last = read_all(connect(), "lists")
    assert [a["id"] for a in lists] == [
        a["id"] for a in sandbox_objects(mailchimp_sandbox, "lists")
    ]
    members = sandbox_objects(mailchimp_sandbox, "members")
    assert last.expected_total == 3 and sum(a["stats"]["total_contacts"] for a in lists) == 1200
    # Mailchimp's member_count counts the subscribed members only
    subscribed = sum(m["status"] == "subscribed" for m in members)
    assert sum(a["stats"]["member_count"] for a in lists) == subscribed < 1200


def test_fetch_a_member_by_uid_or_bare_id(connect, mailchimp_sandbox):
    connector = connect()
    member = sandbox_objects(mailchimp_sandbox, "members")[0]
    by_uid = connector.fetch("members", f"{member['list_id']}:{member['id']}")
    assert by_uid["email_address"] == member["email_address"]
    assert connector.fetch("members", member["id"])["uid"].endswith(member["id"])
    with pytest.raises(FatalAPIError, match="Resource Not Found") as caught:
        connector.fetch("members", f"{member['list_id']}:{'0' * 32}")
    assert caught.value.status == 404


def test_oauth_token_finds_its_data_centre_from_the_metadata_endpoint(connect):
    connector = connect(access_token=TOKEN)
    records, _, last = read_all(connector, "members")
    assert len(records) == last.expected_total == 30


def test_unknown_resource_and_a_key_without_data_centre_are_configuration_errors(connect):
    with pytest.raises(ConfigurationError, match="choose from lists, members"):
        list(connect().read("contacts", {}))
    with pytest.raises(ConfigurationError, match="data-centre suffix"):
        connect(api_key="0123456789abcdef")


def test_sandbox_serves_the_sdk_high_level_calls(mailchimp_server):
    from mailchimp_marketing import Client

    client = Client({"api_key": KEY})
    client.api_client.host = mailchimp_server.url + "/3.0"
    lists = client.lists.get_all_lists()
    list_id = lists["lists"][0]["id"]
    page = client.lists.get_list_members_info(list_id, count=7, offset=3)
    assert len(page["members"]) == 7 and page["total_items"] > 7
    member = page["members"][0]
    changed = client.lists.update_list_member(list_id, member["id"], {"status": "unsubscribed"})
    assert changed["status"] == "unsubscribed"
    assert changed["last_changed"] > member["last_changed"]


def test_since_filters_are_inclusive_and_iso(mailchimp_sandbox: MailchimpSandbox):
    state = mailchimp_sandbox.account(KEY)
    list_id = next(iter(state.lists))
    _, total = state.member_page(list_id, 0, 10, None)
    newest = sandbox_objects(mailchimp_sandbox, "members")[0]["last_changed"]
    blobs, since_total = state.member_page(list_id, 0, 10, newest)
    assert 1 <= since_total < total and len(blobs) == since_total


def test_an_unknown_oauth_token_fails_on_read_not_on_connect(connect):
    connector = connect(access_token="not-a-known-token-0000")
    with pytest.raises(AuthenticationError, match="reconnect the Mailchimp account"):
        read_all(connector, "lists")
