"""`intsync sync` as a process against the Mailchimp sandbox as a process, on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connectors.mailchimp.resources import with_uid
from mappings import compile_spec, load_specs
from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop
from tests.acceptance.stripe_expect import _normal as normal_row
from tests.acceptance.stripe_expect import assert_matches, warehouse_rows
from warehouse.destinations import Warehouse

pytestmark = pytest.mark.slow

KEY_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1-us6"
KEY_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2-us9"
# venue-mailchimp-demo has a shipped override: MMERGE5 of its audiences is `ticket_tier`.
VENUES = {KEY_A: ("tenant-a", "venue-mailchimp-demo"), KEY_B: ("tenant-b", "venue-mc-b")}
RESOURCES = ("lists", "members", "campaigns", "reports")


@pytest.fixture
def sandbox(cli: Cli):
    sandbox = start_sandbox(
        "mailchimp", "--api-key", KEY_A, "--api-key", KEY_B, "--count", "members=2500",
        env=cli.env,
    )  # fmt: skip
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


def _connect(cli: Cli, sandbox: Sandbox) -> dict[str, str]:
    return {
        key: cli.add_integration(tenant, venue, "mailchimp", sandbox.urls["mailchimp"], api_key=key)
        for key, (tenant, venue) in VENUES.items()
    }


def _expected(sandbox: Sandbox, key: str, spec: Any, venue: str) -> dict[str, dict]:
    objects = sandbox.admin("mailchimp", f"objects/{spec.resource}?account={key}")
    live = [with_uid(spec.resource, o) for o in objects if o.get("status") != "archived"]
    context = {
        "tenant_id": VENUES[key][0],
        "venue_id": venue,
        "integration_id": "any",
        "provider": "mailchimp",
        "synced_at": dt.datetime.now(dt.UTC),
    }
    mapped = compile_spec(spec).map_page(live, context)
    assert not mapped.quarantined, mapped.quarantined[:3]
    # an empty text ('' full_name of a member without names) stays '' on both warehouses
    return {row["id"]: normal_row(row) for row in mapped.table.to_pylist()}


def _assert_warehouse_equals_sandbox(cli: Cli, sandbox: Sandbox) -> None:
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    specs = load_specs()
    for key, (_, venue) in VENUES.items():
        for resource in RESOURCES:
            for spec in specs.for_resource("mailchimp", resource, venue_id=venue):
                if spec.dataset != "staging":
                    continue
                expected = _expected(sandbox, key, spec, venue)
                actual = warehouse_rows(warehouse, spec.table, venue)
                assert_matches(expected, actual, spec.table)


def _mutate(sandbox: Sandbox, key: str) -> dict[str, str]:
    members = sandbox.admin("mailchimp", f"objects/members?account={key}")
    live = [m for m in members if m["status"] == "subscribed"]
    first, doomed = live[0], live[1]
    calls = [
        {"action": "update_member", "list_id": first["list_id"], "id": first["id"],
         "fields": {"status": "unsubscribed", "merge_fields": {"LNAME": "Changed"}}},
        {"action": "archive_member", "list_id": doomed["list_id"], "id": doomed["id"]},
        {"action": "create_member", "list_id": first["list_id"],
         "fields": {"email_address": "new.guest@example.org"}},
        {"action": "touch_members", "count": 6},
        {"action": "create_campaign", "list_id": first["list_id"], "title": "Encore night"},
    ]  # fmt: skip
    for call in calls:
        sandbox.admin("mailchimp", "mutate", {**call, "account": key})
    return {"archived": f"{doomed['list_id']}:{doomed['id']}"}


def test_full_and_incremental_sync_equal_the_sandbox(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    first = cli.json("sync")
    assert [r["status"] for r in first] == ["success", "success"], first
    _assert_warehouse_equals_sandbox(cli, sandbox)

    changed = _mutate(sandbox, KEY_A)
    sandbox.admin("mailchimp", "faults", {"server_error_probability": 0.2, "seed": 3})
    second = cli.json("sync")
    sandbox.admin("mailchimp", "faults", {"server_error_probability": 0.0})
    assert [r["status"] for r in second] == ["success", "success"], second
    by_venue = {r["venue_id"]: r for r in second}
    read_a = {o["resource"]: o["rows_extracted"] for o in by_venue[VENUES[KEY_A][1]]["resources"]}
    assert 0 < read_a["members"] <= 9, "incremental reads only the changed members"
    assert read_a["campaigns"] == 1
    _assert_warehouse_equals_sandbox(cli, sandbox)

    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    rows = warehouse.query(
        "select status, _deleted_at from staging.mailchimp_members "
        f"where venue_id = 'venue-mailchimp-demo' and id = '{changed['archived']}'"
    )
    assert rows and rows[0][0] == "archived" and rows[0][1] is not None
    dupes = warehouse.query(
        "select venue_id, id, count(*) from staging.mailchimp_members group by 1, 2 "
        "having count(*) > 1"
    )
    assert dupes == []
    contacts = warehouse.query(
        "select provider, count(*) from core.contacts where venue_id = 'venue-mc-b' group by 1"
    )
    assert contacts == [("mailchimp", 2500)]


def test_venue_override_maps_its_own_merge_field(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    cli.json("sync", "--resource", "members")
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    tiers = warehouse.query(
        "select venue_id, count(ticket_tier), count(distinct ticket_tier) "
        "from staging.mailchimp_members group by 1 order by 1"
    )
    assert tiers[0][0] == "venue-mailchimp-demo" and tiers[0][1] > 100 and tiers[0][2] == 4
    assert tiers[1] == ("venue-mc-b", 0, 0), "another venue's MMERGE5 is not a ticket tier"


def test_completeness_warns_when_mailchimp_lists_fewer_than_it_reports(cli: Cli, sandbox: Sandbox):
    ids = _connect(cli, sandbox)
    sandbox.admin("mailchimp", "mutate", {"action": "hide_members", "account": KEY_B, "count": 7})
    result = cli.json("sync", "--integration", ids[KEY_B], "--resource", "members")
    assert result["status"] == "success"
    logs = cli.json("logs", "--venue", "venue-mc-b")
    members = next(e for e in logs if e["resource"] == "members")
    assert members["details"]["expected_total"] == 2500 and members["rows_extracted"] == 2493
    assert any(n.startswith("warning: completeness: read 2493 of the 2500") for n in
               members["details"]["notes"]), members  # fmt: skip
    shown = Cli({**cli.env, "COLUMNS": "400"}).run("logs", "--venue", "venue-mc-b").stdout
    assert "warning: completeness" in shown


def test_revoked_key_fails_that_integration_with_a_reconnect_message(cli: Cli, sandbox: Sandbox):
    _connect(cli, sandbox)
    sandbox.admin("mailchimp", "faults", {"revoked_credentials": [KEY_B]})
    results = {r["venue_id"]: r for r in cli.json("sync", check=False)}
    assert results["venue-mailchimp-demo"]["status"] == "success"
    failed = results["venue-mc-b"]
    assert failed["status"] == "failed" and "reconnect the Mailchimp account" in failed["error"]
    assert KEY_B not in str(failed)


def test_webhooks_from_mailchimp_apply_to_members(cli: Cli, sandbox: Sandbox):
    from tests.acceptance.test_webhooks_e2e import apply_inbox, free_port, start_web

    integration = cli.add_integration(
        "tenant-b", "venue-mc-b", "mailchimp", sandbox.urls["mailchimp"],
        api_key=KEY_B, webhook_secret="hook-secret-b",
    )  # fmt: skip
    cli.json("sync", "--resource", "members")
    members = sandbox.admin("mailchimp", f"objects/members?account={KEY_B}")
    once = [m for m in members if sum(o["id"] == m["id"] for o in members) == 1]
    quits, leaves, edits = [m for m in once if m["status"] == "subscribed"][:3]
    changes = [
        {"action": "update_member", "id": quits["id"], "fields": {"status": "unsubscribed"}},
        {"action": "archive_member", "id": leaves["id"]},
        {
            "action": "update_member",
            "id": edits["id"],
            "fields": {"merge_fields": {"FNAME": "Flo"}},
        },
    ]
    for change, member in zip(changes, (quits, leaves, edits), strict=True):
        sandbox.admin(
            "mailchimp", "mutate", {**change, "account": KEY_B, "list_id": member["list_id"]}
        )
    port = free_port()
    web = start_web(cli.env, port)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/integrations/webhooks/mailchimp/{integration}"
        wrong = sandbox.admin(
            "mailchimp", "webhooks", {"url": url + "?secret=nope", "account": KEY_B}
        )
        assert wrong["validation"] == 400 and len(wrong["deliveries"]) == 3
        assert {d["status"] for d in wrong["deliveries"]} == {400}, "refused, kept for a retry"
        answer = sandbox.admin(
            "mailchimp", "webhooks",
            {"url": url + "?secret=hook-secret-b", "account": KEY_B,
             "duplicate_probability": 0.5, "shuffle": True, "seed": 2},
        )  # fmt: skip
    finally:
        stop(web)
    assert answer["validation"] == 200
    assert answer["deliveries"] and all(d["status"] == 200 for d in answer["deliveries"])
    assert apply_inbox(cli, integration) >= 3
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])

    def row(member: dict[str, Any]) -> tuple:
        found = warehouse.query(
            "select status, first_name, _deleted_at from staging.mailchimp_members "
            f"where venue_id = 'venue-mc-b' and id = '{member['list_id']}:{member['id']}'"
        )
        assert len(found) == 1
        return found[0]

    assert row(quits)[0] == "unsubscribed" and row(quits)[2] is None
    assert row(leaves)[0] == "archived" and row(leaves)[2] is not None
    assert row(edits)[1] == "Flo" and row(edits)[2] is None
