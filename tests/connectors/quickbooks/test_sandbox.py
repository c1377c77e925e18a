"""The QuickBooks sandbox on the wire: discovery, token rotation, queries, CDC, throttles, webhooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests

from connectors.quickbooks import webhooks
from connectors.quickbooks.sandbox.app import QuickBooksSandbox, build_sandbox
from connectors.sandbox import SandboxServer
from connectors.sandbox.options import SandboxOptions
from tests.connectors.quickbooks.conftest import REALM


@pytest.fixture
def api(qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer):
    """GET against the realm's API with a fresh access token."""
    creds = qb_sandbox.credentials(REALM)
    token = qb_sandbox.oauth.refresh(creds["refresh_token"])["access_token"]

    def get(path: str, **params: str) -> requests.Response:
        return requests.get(
            f"{qb_server.url}/v3/company/{REALM}/{path}",
            params={**params, "minorversion": "75"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    return get


def _token(server: SandboxServer, refresh_token: str, secret: str = "qb-sandbox-secret"):
    return requests.post(
        f"{server.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=("qb-sandbox-client", secret),
        timeout=10,
    )


def test_the_discovery_document_points_at_the_sandbox(qb_server: SandboxServer):
    doc = requests.get(f"{qb_server.url}/.well-known/openid_configuration", timeout=10).json()
    assert doc["token_endpoint"] == f"{qb_server.url}/oauth2/v1/tokens/bearer"
    for key in ("authorization_endpoint", "revocation_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[key].startswith(qb_server.url)


def test_an_old_refresh_token_is_refused_once_the_new_one_is_used(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    first = qb_sandbox.credentials(REALM)["refresh_token"]
    second = _token(qb_server, first).json()["refresh_token"]
    assert second != first
    again = _token(qb_server, first).json()
    assert again["refresh_token"] == second, "unused rotation: the old one still answers"
    third = _token(qb_server, second).json()["refresh_token"]
    refused = _token(qb_server, first)
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_grant"}
    assert _token(qb_server, third).status_code == 200
    assert _token(qb_server, third, secret="nope").status_code == 401


def test_queries_page_filter_and_count(api, qb_sandbox: QuickBooksSandbox):
    newest = orjson.loads(qb_sandbox.objects("invoices", {"realm": REALM}))
    page = api("query", query="select * from Invoice ORDERBY Metadata.LastUpdatedTime DESC "
               "STARTPOSITION 11 MAXRESULTS 5").json()["QueryResponse"]  # fmt: skip
    assert [i["Id"] for i in page["Invoice"]] == [i["Id"] for i in newest[10:15]]
    assert page["startPosition"] == 11 and page["maxResults"] == 5
    since = newest[20]["MetaData"]["LastUpdatedTime"]
    recent = api("query", query=f"select * from Invoice where Metadata.LastUpdatedTime > '{since}' "
                 "MAXRESULTS 1000").json()["QueryResponse"]["Invoice"]  # fmt: skip
    assert {i["Id"] for i in recent} == {i["Id"] for i in newest[:20]}
    count = api("query", query="select count(*) from Invoice").json()["QueryResponse"]
    assert count == {"totalCount": len(newest)}
    empty = api("query", query="select * from Invoice where Metadata.LastUpdatedTime > "
                "'2100-01-01T00:00:00-00:00'").json()  # fmt: skip
    assert empty["QueryResponse"] == {}


def test_name_list_queries_answer_inactive_entities_only_when_asked(
    api, qb_sandbox: QuickBooksSandbox
):
    customers = orjson.loads(qb_sandbox.objects("customers", {"realm": REALM}))
    retired = customers[3]["Id"]
    qb_sandbox.mutate({"action": "update", "resource": "customers", "id": retired,
                       "fields": {"Active": False}, "realm": REALM})  # fmt: skip

    def ids(query: str) -> set[str]:
        answer = api("query", query=query).json()["QueryResponse"]
        return {c["Id"] for c in answer.get("Customer", [])}

    def count(query: str) -> int:
        return api("query", query=query).json()["QueryResponse"]["totalCount"]

    every = {c["Id"] for c in customers}
    inactive = {c["Id"] for c in customers if c.get("Active") is False} | {retired}
    assert ids("select * from Customer MAXRESULTS 1000") == every - inactive
    assert ids("select * from Customer where Active IN (true, false) MAXRESULTS 1000") == every
    assert ids("select * from Customer where Active = false MAXRESULTS 1000") == inactive
    assert count("select count(*) from Customer") == len(every - inactive)
    assert count("select count(*) from Customer where Active IN (true, false)") == len(every)
    invoices = orjson.loads(qb_sandbox.objects("invoices", {"realm": REALM}))
    assert count("select count(*) from Invoice") == len(invoices), "transactions have no Active"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("select * from Invoice MAXRESULTS 1001", "MAXRESULTS"),
        ("select * from Customer where Active = maybe", "could not understand"),
        ("select * from Invoice where Balance > '3'", "not queryable"),
        ("select * from Bill", "unknown entity"),
        ("delete from Invoice", "could not understand"),
    ],
)
def test_bad_queries_get_a_validation_fault(api, query: str, words: str):
    answer = api("query", query=query)
    assert answer.status_code == 400
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault" and words in fault["Error"][0]["Detail"]


def test_cdc_returns_deletions_and_stops_at_its_cap(api, qb_sandbox: QuickBooksSandbox):
    company = qb_sandbox.company(REALM)
    ids = company.stores["Customer"].ids()
    since = "2000-01-01T00:00:00-00:00"
    assert api("cdc", entities="Customer", changedSince=since).status_code == 400, "30 days"
    start = company.clock()
    for object_id in ids[:3]:
        company.delete("Customer", object_id)
    body = api("cdc", entities="Customer,Invoice", changedSince=_iso(start - 5)).json()
    lists = body["CDCResponse"][0]["QueryResponse"]
    deleted = [o for q in lists for o in q.get("Customer", []) if o.get("status") == "Deleted"]
    assert {o["Id"] for o in deleted} == set(ids[:3])
    for n in range(1200):
        company.create("Invoice", {"DocNumber": f"X{n}"})
    capped = api("cdc", entities="Invoice,Customer", changedSince=_iso(start - 5)).json()
    total = sum(len(v) for q in capped["CDCResponse"][0]["QueryResponse"] for v in q.values()
                if isinstance(v, list))  # fmt: skip
    assert total == 1000


def test_more_than_ten_in_flight_per_realm_get_429(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, api
):
    # long enough for all 14 requests to arrive before the first ends, even on a busy machine
    qb_sandbox.injector.update({"latency_ms": 1000})
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(api("account/1").status_code))
        for _ in range(14)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) == 10 and answers.count(429) == 4
    assert qb_sandbox.gates.snapshot()[REALM]["peak_in_flight"] == 10


def test_the_minute_limit_answers_429_with_a_wait(qb_sandbox: QuickBooksSandbox, api):
    qb_sandbox.mutate({"action": "limits", "requests_per_minute": 3, "retry_after": 7})
    statuses = [api("item/1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = api("item/1")
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.json()["Fault"]["Error"][0]["code"] == "003001"


def test_server_errors_are_switchable(qb_sandbox: QuickBooksSandbox, api):
    qb_sandbox.injector.update({"server_error_probability": 1.0, "server_error_statuses": [503]})
    assert api("item/1").status_code == 503
    qb_sandbox.injector.update({"server_error_probability": 0.0})
    assert api("item/1").status_code == 200


class Receiver:
    """A webhook endpoint that keeps what it was sent."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.got.append(({"intuit-signature": environ.get("HTTP_INTUIT_SIGNATURE", "")}, body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with SandboxServer(app) as server:
        yield app, server.url + "/hook"


@pytest.mark.parametrize("form", ["legacy", "cloudevents"])
def test_webhooks_are_signed_and_name_each_change(
    qb_sandbox: QuickBooksSandbox, receiver: tuple[Receiver, str], form: str
):
    app, url = receiver
    company = qb_sandbox.company(REALM)
    made = company.create("Invoice", {"DocNumber": "W1"})
    company.update("Customer", "3", {"Notes": "vip"})
    company.delete("Payment", company.stores["Payment"].ids()[0])
    result = qb_sandbox.webhooks({"url": url, "verifier_token": "tok-123", "format": form})
    assert [d["status"] for d in result["deliveries"]] == [200, 200, 200]
    events = []
    for headers, body in app.got:
        webhooks.verify(body, headers["intuit-signature"], "tok-123")
        with pytest.raises(Exception, match="does not match"):
            webhooks.verify(body, headers["intuit-signature"], "other-token")
        events += webhooks.parse_all(body)
    assert [(e.resource, e.object_id, e.deleted) for e in events] == [
        ("invoices", made["Id"], False),
        ("customers", "3", False),
        ("payments", events[2].object_id, True),
    ]
    assert all(e.account == REALM for e in events)
    assert qb_sandbox.webhooks({"url": url, "format": form})["deliveries"] == [], "sent once"


def test_build_sandbox_takes_realm_ids_and_counts():
    sandbox = build_sandbox(
        SandboxOptions(seed=4, counts={"invoices": 7}, credentials=("111", "222"))
    )
    assert sandbox.info()["realms"] == ["111", "222"]
    assert len(sandbox.company("222").stores["Invoice"]) == 7


def _iso(unix: float) -> str:
    from connectors.quickbooks.query import qbo_time

    return qbo_time(unix)
