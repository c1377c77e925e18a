"""The Mailchimp sandbox against the Marketing API 3.0's documented objects, over plain HTTP: every
endpoint the connector reads (audiences, members, campaigns, reports, each listed page by page and
read by id, and the OAuth metadata), and the documented error answers.

Mailchimp publishes its objects on the reference pages named above each schema. Where it has no
value for a documented string it sends "" (a member added by API has no timestamp_signup), never
null; the schemas below refuse null anywhere."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from connectors.mailchimp.sandbox.app import MailchimpSandbox
from connectors.sandbox import SandboxServer, SeedSpec
from tests.connectors.sandbox.contract_support import schema_errors

KEY = "5f4dcc3b5aa765d61d8327deb882cf99-us6"
COUNTS = {"lists": 3, "members": 900, "campaigns": 10}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$"}
TIME_OR_EMPTY = {"anyOf": [TIME, {"const": ""}]}
TEXT = {"type": "string"}
INT = {"type": "integer"}
NUMBER = {"type": "number"}
BOOL = {"type": "boolean"}
LINKS = {"type": "array"}


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


# https://mailchimp.com/developer/marketing/api/lists/get-list-info/
LIST = obj(
    ["id", "web_id", "name", "contact", "permission_reminder", "campaign_defaults",
     "date_created", "list_rating", "email_type_option", "visibility", "double_optin", "stats"],
    id=TEXT, web_id=INT, name=TEXT,
    contact=obj(["company", "address1", "city", "country"], company=TEXT, address1=TEXT,
                address2=TEXT, city=TEXT, state=TEXT, zip=TEXT, country=TEXT, phone=TEXT),
    permission_reminder=TEXT, use_archive_bar=BOOL,
    campaign_defaults=obj(["from_name", "from_email", "subject", "language"], from_name=TEXT,
                          from_email=TEXT, subject=TEXT, language=TEXT),
    notify_on_subscribe=TEXT, notify_on_unsubscribe=TEXT, date_created=TIME,
    list_rating={"type": "integer", "minimum": 0, "maximum": 5}, email_type_option=BOOL,
    subscribe_url_short=TEXT, subscribe_url_long=TEXT, beamer_address=TEXT,
    visibility={"enum": ["pub", "prv"]}, double_optin=BOOL, has_welcome=BOOL,
    marketing_permissions=BOOL, modules={"type": "array", "items": TEXT},
    stats=obj(["member_count", "unsubscribe_count", "cleaned_count", "campaign_count",
               "campaign_last_sent", "last_sub_date", "last_unsub_date"],
              member_count=INT, total_contacts=INT, unsubscribe_count=INT, cleaned_count=INT,
              campaign_count=INT, campaign_last_sent=TIME_OR_EMPTY, merge_field_count=INT,
              last_sub_date=TIME_OR_EMPTY, last_unsub_date=TIME_OR_EMPTY),
    _links=LINKS,
)  # fmt: skip
MEMBER_STATUS = ["subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"]
# https://mailchimp.com/developer/marketing/api/list-members/get-member-info/
MEMBER = obj(
    ["id", "email_address", "unique_email_id", "contact_id", "full_name", "web_id", "email_type",
     "status", "merge_fields", "stats", "ip_signup", "timestamp_signup", "ip_opt",
     "timestamp_opt", "member_rating", "last_changed", "language", "vip", "email_client",
     "location", "source", "tags_count", "tags", "list_id"],
    id={"type": "string", "pattern": "^[0-9a-f]{32}$"}, email_address=TEXT,
    unique_email_id=TEXT, contact_id=TEXT, full_name=TEXT, web_id=INT,
    email_type={"enum": ["html", "text"]}, status={"enum": MEMBER_STATUS},
    unsubscribe_reason=TEXT, consents_to_one_to_one_messaging=BOOL,
    merge_fields={"type": "object", "additionalProperties": {"type": ["string", "number",
                                                                      "object"]}},
    interests={"type": "object", "additionalProperties": BOOL},
    stats=obj(["avg_open_rate", "avg_click_rate"], avg_open_rate=NUMBER, avg_click_rate=NUMBER),
    ip_signup=TEXT, timestamp_signup=TIME_OR_EMPTY, ip_opt=TEXT, timestamp_opt=TIME_OR_EMPTY,
    member_rating={"type": "integer", "minimum": 0, "maximum": 5}, last_changed=TIME,
    language=TEXT, vip=BOOL, email_client=TEXT,
    location=obj(["latitude", "longitude", "gmtoff", "dstoff", "country_code", "timezone"],
                 latitude=NUMBER, longitude=NUMBER, gmtoff=INT, dstoff=INT, country_code=TEXT,
                 timezone=TEXT, region=TEXT),
    source=TEXT, tags_count=INT,
    tags={"type": "array", "items": obj(["id", "name"], id=INT, name=TEXT)},
    list_id=TEXT, _links=LINKS,
)  # fmt: skip
CAMPAIGN_STATUS = ["save", "paused", "schedule", "sending", "sent", "canceled", "canceling",
                   "archived"]  # fmt: skip
# https://mailchimp.com/developer/marketing/api/campaigns/get-campaign-info/
CAMPAIGN = obj(
    ["id", "web_id", "type", "create_time", "archive_url", "long_archive_url", "status",
     "emails_sent", "send_time", "content_type", "recipients", "settings", "tracking",
     "delivery_status"],
    id=TEXT, web_id=INT, parent_campaign_id=TEXT,
    type={"enum": ["regular", "plaintext", "absplit", "rss", "variate"]},
    create_time=TIME, archive_url=TEXT, long_archive_url=TEXT,
    status={"enum": CAMPAIGN_STATUS}, emails_sent=INT, send_time=TIME_OR_EMPTY,
    content_type={"enum": ["template", "html", "url", "multichannel"]},
    needs_block_refresh=BOOL, resendable=BOOL,
    recipients=obj(["list_id", "list_is_active", "list_name", "segment_text",
                    "recipient_count"], list_id=TEXT, list_is_active=BOOL, list_name=TEXT,
                   segment_text=TEXT, recipient_count=INT),
    settings=obj(["subject_line", "title", "from_name", "reply_to"], subject_line=TEXT,
                 preview_text=TEXT, title=TEXT, from_name=TEXT, reply_to=TEXT,
                 use_conversation=BOOL, to_name=TEXT, folder_id=TEXT, authenticate=BOOL,
                 auto_footer=BOOL, inline_css=BOOL, auto_tweet=BOOL, fb_comments=BOOL,
                 timewarp=BOOL, template_id=INT, drag_and_drop=BOOL),
    tracking=obj(["opens", "html_clicks", "text_clicks"], opens=BOOL, html_clicks=BOOL,
                 text_clicks=BOOL, goal_tracking=BOOL, ecomm360=BOOL, google_analytics=TEXT,
                 clicktale=TEXT),
    report_summary=obj(["opens", "unique_opens", "open_rate", "clicks", "subscriber_clicks",
                        "click_rate"], opens=INT, unique_opens=INT, open_rate=NUMBER, clicks=INT,
                       subscriber_clicks=INT, click_rate=NUMBER),
    delivery_status=obj(["enabled"], enabled=BOOL),
    _links=LINKS,
)  # fmt: skip
# https://mailchimp.com/developer/marketing/api/reports/get-campaign-report/
REPORT = obj(
    ["id", "campaign_title", "type", "list_id", "list_is_active", "list_name", "subject_line",
     "emails_sent", "abuse_reports", "unsubscribed", "send_time", "bounces", "forwards", "opens",
     "clicks", "list_stats"],
    id=TEXT, campaign_title=TEXT, type=TEXT, list_id=TEXT, list_is_active=BOOL, list_name=TEXT,
    subject_line=TEXT, preview_text=TEXT, emails_sent=INT, abuse_reports=INT, unsubscribed=INT,
    send_time=TIME,
    bounces=obj(["hard_bounces", "soft_bounces", "syntax_errors"], hard_bounces=INT,
                soft_bounces=INT, syntax_errors=INT),
    forwards=obj(["forwards_count", "forwards_opens"], forwards_count=INT, forwards_opens=INT),
    opens=obj(["opens_total", "unique_opens", "open_rate", "last_open"], opens_total=INT,
              unique_opens=INT, open_rate=NUMBER, last_open=TIME_OR_EMPTY),
    clicks=obj(["clicks_total", "unique_clicks", "unique_subscriber_clicks", "click_rate",
                "last_click"], clicks_total=INT, unique_clicks=INT,
               unique_subscriber_clicks=INT, click_rate=NUMBER, last_click=TIME_OR_EMPTY),
    facebook_likes=obj([], recipient_likes=INT, unique_likes=INT, facebook_likes=INT),
    list_stats=obj(["sub_rate", "unsub_rate", "open_rate", "click_rate"], sub_rate=NUMBER,
                   unsub_rate=NUMBER, open_rate=NUMBER, click_rate=NUMBER),
    timewarp={"type": "array"}, timeseries={"type": "array"}, _links=LINKS,
)  # fmt: skip
# https://mailchimp.com/developer/marketing/docs/errors/
PROBLEM = obj(
    ["type", "title", "status", "detail", "instance"],
    type={"const": "https://mailchimp.com/developer/marketing/docs/errors/"}, title=TEXT,
    status=INT, detail=TEXT, instance={"type": "string", "minLength": 1},
    errors={"type": "array", "items": obj(["field", "message"], field=TEXT, message=TEXT)},
)  # fmt: skip
# (path under /3.0, list key, object schema, collection's documentation page)
LISTINGS = {
    # https://mailchimp.com/developer/marketing/api/lists/get-lists-info/
    "lists": ("/lists", "lists", LIST),
    # https://mailchimp.com/developer/marketing/api/campaigns/list-campaigns/
    "campaigns": ("/campaigns", "campaigns", CAMPAIGN),
    # https://mailchimp.com/developer/marketing/api/reports/list-campaign-reports/
    "reports": ("/reports", "reports", REPORT),
}


def no_nulls(node: Any) -> Any:
    """The schema with null refused wherever a property is left open (Mailchimp sends "")."""
    if isinstance(node, dict):
        out = {k: no_nulls(v) for k, v in node.items()}
        if out.get("type") == "object" and "additionalProperties" not in out:
            out["additionalProperties"] = {"not": {"type": "null"}}
        return out
    return node


def listing(key: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A collection response: the objects under `key`, `total_items`, `_links`."""
    return obj([key, "total_items"], **{key: {"type": "array", "items": item}},
               total_items={"type": "integer", "minimum": 0}, _links=LINKS, **extra)  # fmt: skip


@pytest.fixture(scope="module")
def sandbox() -> MailchimpSandbox:
    return MailchimpSandbox({KEY: SeedSpec(seed=41, counts=COUNTS)})


@pytest.fixture(scope="module")
def base(sandbox: MailchimpSandbox) -> Iterator[str]:
    with SandboxServer(sandbox) as served:
        yield served.url


@pytest.fixture(autouse=True)
def no_faults(sandbox: MailchimpSandbox) -> Iterator[None]:
    yield
    sandbox.injector.reset()


def get(base: str, path: str, key: str | None = KEY, **params: Any) -> requests.Response:
    auth = ("anystring", key) if key else None
    return requests.get(f"{base}/3.0{path}", params=params, auth=auth, timeout=30)


def assert_valid(schema: dict[str, Any], instance: Any, label: str) -> None:
    problems = schema_errors(no_nulls(schema), instance)
    assert not problems, f"{label}: {problems[:10]}"


def everything(base: str, path: str, key: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object of a collection, 7 at a time with count and offset, each page checked."""
    found: list[dict[str, Any]] = []
    while True:
        page = get(base, path, count=7, offset=len(found))
        assert page.status_code == 200, page.text
        assert page.headers["Content-Type"].startswith("application/json")
        assert_valid(listing(key, item), page.json(), f"{path} offset {len(found)}")
        found += page.json()[key]
        if len(found) >= page.json()["total_items"]:
            assert len(found) == page.json()["total_items"]
            return found


@pytest.mark.parametrize("name", list(LISTINGS))
def test_every_collection_and_object_matches_its_documented_shape(base, name) -> None:
    path, key, item = LISTINGS[name]
    found = everything(base, path, key, item)
    assert found and len({o["id"] for o in found}) == len(found)
    one = get(base, f"{path}/{found[-1]['id']}")
    assert one.status_code == 200, one.text
    assert_valid(item, one.json(), f"{path}/{{id}}")
    whole = get(base, path, count=1000).json()[key]
    assert [o["id"] for o in whole] == [o["id"] for o in found], "no object twice or lost"


def test_members_of_every_audience_match_the_documented_member(base) -> None:
    audiences = get(base, "/lists", count=1000).json()["lists"]
    seen: dict[str, int] = {}
    for audience in audiences:
        # https://mailchimp.com/developer/marketing/api/list-members/list-members-info/
        item = listing("members", MEMBER, list_id={"const": audience["id"]})
        first = get(base, f"/lists/{audience['id']}/members", count=1000)
        assert_valid(item, first.json(), "members")
        members = everything(base, f"/lists/{audience['id']}/members", "members", MEMBER)
        assert [m["id"] for m in members] == [m["id"] for m in first.json()["members"]]
        for member in members:
            assert member["id"] == hashlib.md5(member["email_address"].encode()).hexdigest()  # noqa: S324
            seen[member["status"]] = seen.get(member["status"], 0) + 1
        stats = audience["stats"]
        assert stats["member_count"] == sum(m["status"] == "subscribed" for m in members)
        assert stats["unsubscribe_count"] == sum(m["status"] == "unsubscribed" for m in members)
        assert stats["cleaned_count"] == sum(m["status"] == "cleaned" for m in members)
        by_email = get(base, f"/lists/{audience['id']}/members/{members[0]['email_address']}")
        assert by_email.status_code == 200 and by_email.json()["id"] == members[0]["id"]
    assert {"subscribed", "unsubscribed", "cleaned", "pending", "archived"} <= set(seen)


def test_empty_values_are_empty_strings_or_left_out_as_mailchimp_sends_them(base) -> None:
    audience = get(base, "/lists").json()["lists"][0]
    members = get(base, f"/lists/{audience['id']}/members", count=1000).json()["members"]
    tags = set(members[0]["merge_fields"])
    assert all(set(m["merge_fields"]) == tags for m in members), "every merge field, always"
    assert any("" in m["merge_fields"].values() for m in members), "a blank merge field is ''"
    assert any(m["timestamp_signup"] == "" and m["ip_signup"] == "" for m in members)
    assert any(m["timestamp_signup"] for m in members), "signup-form members have one"
    assert all(m["timestamp_opt"] == "" for m in members if m["status"] == "pending")
    assert all(("unsubscribe_reason" in m) == (m["status"] == "unsubscribed") for m in members)
    assert any(m["tags"] for m in members) and any(not m["tags"] for m in members)
    campaigns = get(base, "/campaigns", count=1000).json()["campaigns"]
    statuses = {c["status"] for c in campaigns}
    assert {"save", "schedule", "sent"} <= statuses
    for campaign in campaigns:
        assert (campaign["send_time"] == "") == (campaign["status"] == "save")
        assert ("report_summary" in campaign) == (campaign["status"] == "sent")
    reports = get(base, "/reports", count=1000).json()["reports"]
    assert {r["id"] for r in reports} == {c["id"] for c in campaigns if c["status"] == "sent"}


def test_the_oauth_metadata_names_the_data_centre(base) -> None:
    # https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/
    answer = requests.get(f"{base}/oauth2/metadata", headers={"Authorization": f"OAuth {KEY}"})
    assert answer.status_code == 200
    assert_valid(obj(["dc", "api_endpoint"], dc=TEXT, api_endpoint=TEXT, login_url=TEXT,
                     accountname=TEXT), answer.json(), "metadata")  # fmt: skip


def problem_of(response: requests.Response, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert_valid(PROBLEM, body, f"{status} {title}")
    assert (body["status"], body["title"]) == (status, title)
    return body


@pytest.mark.parametrize(
    ("params", "field"),
    [({"count": 1001}, "count"), ({"count": -1}, "count"), ({"offset": -5}, "offset"),
     ({"count": "ten"}, "count")],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/lists", "/campaigns", "/reports"])
def test_a_bad_count_or_offset_is_400_invalid_resource_naming_the_field(base, path, params, field):
    body = problem_of(get(base, path, **params), 400, "Invalid Resource")
    assert [e["field"] for e in body["errors"]] == [field]


def test_each_error_is_its_own_instance(base) -> None:
    first = get(base, "/lists", count=5000).json()["instance"]
    assert first != get(base, "/lists", count=5000).json()["instance"]


@pytest.mark.parametrize(
    ("key", "title"), [("0000000000000000000000000000dead-us6", "API Key Invalid"),
                       (None, "API Key Missing")],
)  # fmt: skip
def test_a_bad_or_missing_api_key_is_401(base, key, title) -> None:
    problem_of(get(base, "/lists", key=key), 401, title)


@pytest.mark.parametrize(
    "path", ["/lists/nosuchlist", "/lists/nosuchlist/members", "/campaigns/nosuch",
             "/reports/nosuch", "/lists/{list}/members/" + "0" * 32],
)  # fmt: skip
def test_an_unknown_id_is_404_resource_not_found(base, path) -> None:
    audience = get(base, "/lists").json()["lists"][0]["id"]
    problem_of(get(base, path.format(list=audience)), 404, "Resource Not Found")


def test_an_eleventh_simultaneous_connection_is_429(base, sandbox) -> None:
    sandbox.injector.update({"latency_ms": 300.0})
    with ThreadPoolExecutor(14) as pool:
        answers = list(pool.map(lambda _: get(base, "/lists"), range(14)))
    refused = [a for a in answers if a.status_code != 200]
    assert refused and len(answers) - len(refused) >= 10
    for answer in refused:
        body = problem_of(answer, 429, "Too Many Requests")
        assert "10 simultaneous connections" in body["detail"]
