"""The QuickBooks connector against the QuickBooks sandbox: full, incremental, deletions, faults."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from connectors.base import Page
from connectors.common.times import parse_iso
from connectors.errors import AuthenticationError, ConfigurationError, FatalAPIError
from connectors.quickbooks.client import QuickBooksConnector
from connectors.quickbooks.entities import CDC_CAP
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.quickbooks.tokens import MemoryTokenStore
from connectors.sandbox import SandboxServer
from tests.connectors.quickbooks.conftest import FAST_RETRY, REALM


@dataclass
class Read:
    """Everything one read gave, and what the pipeline keeps (first occurrence per Id)."""

    pages: list[Page]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for p in self.pages for r in p.records]

    @property
    def marks(self) -> list[str | None]:
        return [m for p in self.pages for m in (p.deleted_at or [None] * len(p.records))]

    @property
    def first(self) -> dict[str, tuple[dict[str, Any], str | None]]:
        kept: dict[str, tuple[dict[str, Any], str | None]] = {}
        for record, mark in zip(self.records, self.marks, strict=True):
            kept.setdefault(record["Id"], (record, mark))
        return kept

    @property
    def state(self) -> dict[str, Any]:
        assert self.pages[-1].state is not None
        return self.pages[-1].state


def read(connector: QuickBooksConnector, resource: str, state: dict | None = None) -> Read:
    return Read(list(connector.read(resource, state or {})))


def objects(sandbox: QuickBooksSandbox, resource: str) -> list[dict[str, Any]]:
    return orjson.loads(sandbox.objects(resource, {"realm": REALM}))


@pytest.mark.parametrize(
    "resource", ["customers", "invoices", "payments", "sales_receipts", "items", "accounts"]
)
def test_a_full_read_holds_every_entity_as_the_sandbox_has_it(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox, resource: str
):
    got = read(connector, resource)
    want = {o["Id"]: o for o in objects(qb_sandbox, resource)}
    assert {i: r for i, (r, _) in got.first.items()} == want
    assert got.pages[-1].expected_total == len(want) > 0
    assert all(m is None for m in got.marks)


def test_a_full_read_comes_newest_first_across_pages(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    small = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, retry_policy=FAST_RETRY, page_size=40
    )
    got = read(small, "invoices")
    small.close()
    assert len(got.pages) > 3
    stamps = [r["MetaData"]["LastUpdatedTime"] for r in got.records]
    assert [i for i, _ in got.first.items()] == [o["Id"] for o in objects(qb_sandbox, "invoices")]
    assert len(stamps) == len(set(r["Id"] for r in got.records)), "overlap is not read twice"


def test_an_incremental_read_takes_only_changes_and_deletions_first(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    state = read(connector, "invoices").state
    assert read(connector, "invoices", state).records == [], "nothing changed, nothing read"
    doomed = objects(qb_sandbox, "invoices")[7]["Id"]
    qb_sandbox.mutate({"action": "delete", "resource": "invoices", "id": doomed, "realm": REALM})
    touched = qb_sandbox.mutate(
        {"action": "touch", "resource": "invoices", "count": 4, "seed": 1, "realm": REALM}
    )["ids"]
    made = qb_sandbox.mutate(
        {"action": "create", "resource": "invoices", "realm": REALM,
         "fields": {"TotalAmt": 12.5, "Balance": 12.5, "CurrencyRef": {"value": "USD"}}}
    )  # fmt: skip
    got = read(connector, "invoices", state)
    assert got.records[0] == {
        "domain": "QBO", "status": "Deleted", "Id": doomed, "MetaData": got.records[0]["MetaData"]
    }  # fmt: skip
    assert got.marks[0] is not None and got.marks[0].endswith("Z")
    assert set(got.first) == {doomed, *touched, made["Id"]}
    current = {o["Id"]: o for o in objects(qb_sandbox, "invoices")}
    for object_id in (*touched, made["Id"]):
        assert got.first[object_id] == (current[object_id], None)
    assert got.pages[-1].expected_total is None, "counts come with full reads"
    assert read(connector, "invoices", got.state).records == []


def test_deletions_beyond_one_cdc_answer_are_read_in_windows(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    state = read(connector, "customers").state
    company = qb_sandbox.company(REALM)
    ticks = itertools.count(int(company.clock()))
    company.clock = lambda: next(ticks)  # each change a second after the last
    made = [company.create("Customer", {"DisplayName": f"Temp {n}"})["Id"] for n in range(1100)]
    for object_id in made:
        company.delete("Customer", object_id)
    qb_sandbox.stats.reset()
    got = read(connector, "customers", state)
    gone = {i for i, (_, mark) in got.first.items() if mark}
    assert gone == set(made)
    cdc_calls = qb_sandbox.stats.snapshot()["by_path"]["/v3/company/{realm}/cdc"]["200"]
    assert cdc_calls >= 2, "1100 deletions need at least two answers of 1000"


def test_deletions_while_a_read_runs_do_not_hide_other_entities(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    small = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, retry_policy=FAST_RETRY, page_size=30
    )
    before = [o["Id"] for o in objects(qb_sandbox, "invoices")]
    pages = small.read("invoices", {})
    first = next(pages)
    for object_id in before[:10]:  # already read: the rest shift up by ten places
        qb_sandbox.company(REALM).delete("Invoice", object_id)
    ids = {r["Id"] for r in first.records} | {r["Id"] for p in pages for r in p.records}
    small.close()
    assert set(before) <= ids


def test_fetch_gives_the_current_entity_and_404_once_deleted(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    payment = objects(qb_sandbox, "payments")[0]
    assert connector.fetch("payments", payment["Id"]) == payment
    qb_sandbox.company(REALM).delete("Payment", payment["Id"])
    with pytest.raises(FatalAPIError) as caught:
        connector.fetch("payments", payment["Id"])
    assert caught.value.status == 404
    assert "Object Not Found" in str(caught.value) and "[610]" in str(caught.value)


def test_server_errors_and_throttles_are_retried(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    qb_sandbox.injector.update({"script": [500, 503, 429, 502], "path_prefix": "/v3/"})
    got = read(connector, "customers")
    assert len(got.first) == len(objects(qb_sandbox, "customers"))
    statuses = qb_sandbox.stats.snapshot()["by_status"]
    assert statuses.get("500") == statuses.get("503") == statuses.get("429") == 1


def test_an_expired_access_token_is_refreshed_once_mid_read(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    read(connector, "items")
    qb_sandbox.oauth.expire_access(REALM)
    got = read(connector, "items")
    assert len(got.first) == len(objects(qb_sandbox, "items"))
    assert qb_sandbox.oauth.realms[REALM].refreshes == 2
    assert qb_sandbox.stats.snapshot()["by_status"].get("401") == 1


def test_a_revoked_company_fails_with_reconnect_and_no_secret(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    read(connector, "items")
    qb_sandbox.mutate({"action": "revoke", "realm": REALM})
    with pytest.raises(AuthenticationError) as caught:
        read(connector, "items")
    message = str(caught.value)
    assert "reconnect" in message.lower()
    saved = connector.keeper._store.load()
    assert saved is not None
    for secret in (saved.tokens["refresh_token"], saved.tokens["access_token"], "qb-sandbox"):
        assert secret not in message


def test_an_unknown_resource_names_the_ones_there_are(connector: QuickBooksConnector):
    with pytest.raises(ConfigurationError, match="choose from customers, invoices"):
        connector.read("bills", {})


def test_missing_credentials_are_named():
    with pytest.raises(ConfigurationError, match="realm_id"):
        QuickBooksConnector({"client_id": "a", "client_secret": "b", "refresh_token": "c"})


def test_a_window_reads_what_was_created_in_it_and_moves_no_cursor(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    invoices = objects(qb_sandbox, "invoices")
    created = sorted(parse_iso(i["MetaData"]["CreateTime"]) for i in invoices)
    start, end = created[len(created) // 4], created[len(created) // 2]
    window = (dt.datetime.fromtimestamp(start, dt.UTC), dt.datetime.fromtimestamp(end, dt.UTC))
    pages = list(connector.read("invoices", {}, window=window))
    want = {i["Id"] for i in invoices if start <= parse_iso(i["MetaData"]["CreateTime"]) < end}
    assert {r["Id"] for p in pages for r in p.records} == want and want
    assert all(p.state is None for p in pages)


def test_a_stale_cdc_cursor_gives_a_full_read_that_lists_everything(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    state = read(connector, "invoices").state
    month_ago = state["cdc_checked_at"] - 31 * 24 * 3600
    got = read(
        connector, "invoices", {**state, "cdc_cursor": month_ago, "cdc_checked_at": month_ago}
    )
    assert len(got.records) == len(objects(qb_sandbox, "invoices"))
    assert any("older than CDC's 30 days: full re-read" in note for note in got.pages[-1].notes)
    assert got.pages[-1].listed_all, "what the read did not list is marked deleted"
    assert not any(page.listed_all for page in read(connector, "invoices", state).pages)


def test_more_changes_in_one_second_than_cdc_answers_give_a_full_read(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    company = qb_sandbox.company(REALM)
    earlier = time.time() - 100
    company.clock = lambda: earlier
    for _ in range(CDC_CAP + 1 - len(objects(qb_sandbox, "invoices"))):
        qb_sandbox.mutate(
            {"action": "create", "resource": "invoices", "realm": REALM,
             "fields": {"TotalAmt": 1.0, "Balance": 1.0, "CurrencyRef": {"value": "USD"}}}
        )  # fmt: skip
    state = read(connector, "invoices").state
    ids = sorted((r["Id"] for r in objects(qb_sandbox, "invoices")), key=int)
    doomed = ids[-1]  # at one second, CDC answers the lowest ids first: this one comes last
    later = time.time() + 5
    company.clock = lambda: later
    for object_id in ids[:-1]:
        qb_sandbox.mutate(
            {"action": "update", "resource": "invoices", "id": object_id, "realm": REALM,
             "fields": {"PrivateNote": "bulk change"}}
        )  # fmt: skip
    qb_sandbox.mutate({"action": "delete", "resource": "invoices", "id": doomed, "realm": REALM})

    got = read(connector, "invoices", state)
    notes = [note for page in got.pages for note in page.notes]
    assert any(f"more than {CDC_CAP} changes" in note for note in notes), notes
    assert got.pages[-1].listed_all, "what the read did not list is marked deleted"
    listed = {r["Id"] for r in got.records if r.get("status") != "Deleted"}
    assert listed == set(ids[:-1]), "the whole entity, read again"


def test_a_full_read_lists_what_changed_while_it_ran(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer, tokens: MemoryTokenStore
):
    connector = QuickBooksConnector(
        qb_sandbox.credentials(REALM), qb_server.url, token_store=tokens, page_size=40
    )
    oldest = min(objects(qb_sandbox, "invoices"), key=lambda r: r["MetaData"]["LastUpdatedTime"])
    pages = iter(connector.read("invoices", {}))
    got = [next(pages)]
    # changed after the first page: it moves to the front, a page the read has passed
    qb_sandbox.mutate(
        {"action": "update", "resource": "invoices", "id": oldest["Id"], "realm": REALM,
         "fields": {"PrivateNote": "changed during the read"}}
    )  # fmt: skip
    got += list(pages)
    connector.close()
    listed = {r["Id"] for page in got for r in page.records}
    assert listed == {r["Id"] for r in objects(qb_sandbox, "invoices")}
    assert got[-1].listed_all


def test_inactive_customers_are_read_and_making_one_inactive_is_seen(
    connector: QuickBooksConnector, qb_sandbox: QuickBooksSandbox
):
    full = read(connector, "customers")
    assert {r["Id"] for r in full.records} == {c["Id"] for c in objects(qb_sandbox, "customers")}
    retired = full.records[-1]["Id"]
    qb_sandbox.mutate({"action": "update", "resource": "customers", "id": retired,
                       "fields": {"Active": False}, "realm": REALM})  # fmt: skip
    changed = read(connector, "customers", full.state)
    assert [(r["Id"], r["Active"]) for r in changed.records] == [(retired, False)]
    assert full.pages[-1].expected_total == len(full.records), "the count has them too"
