"""Seeded Stripe data: shaped like Stripe's objects, realistic, linked, and repeatable."""

from __future__ import annotations

from collections import defaultdict

import pytest

from connectors.sandbox import SeedSpec
from connectors.sandbox.seeding import DAY
from connectors.stripe.sandbox.resources import RESOURCES, ZERO_DECIMAL
from connectors.stripe.sandbox.seed import DEFAULT_COUNTS, seed_objects
from connectors.stripe.sandbox.templates import TEMPLATES

NOW = 1_760_000_000


@pytest.fixture(scope="module")
def seeded() -> dict[str, list[dict]]:
    return seed_objects(SeedSpec(seed=4, counts={**DEFAULT_COUNTS, "charges": 600}, now=NOW))


def test_counts_are_honoured(seeded) -> None:
    assert len(seeded["charges"]) == 600
    assert len(seeded["customers"]) == DEFAULT_COUNTS["customers"]
    assert 0 < len(seeded["refunds"]) <= DEFAULT_COUNTS["refunds"]


def test_objects_carry_every_field_of_stripes_fixture(seeded) -> None:
    for resource, objects in seeded.items():
        template_keys = set(TEMPLATES[resource])
        if resource == "invoices":  # in Stripe's example, not in the SDK's Invoice: the SDK wins
            template_keys.discard("subscription")
        assert all(set(obj) >= template_keys for obj in objects), resource
        assert all(obj["object"] == RESOURCES[resource].object for obj in objects), resource


def test_ids_look_like_stripes(seeded) -> None:
    for resource, objects in seeded.items():
        info = RESOURCES[resource]
        for obj in objects:
            assert obj["id"].startswith(info.id_prefix)
            assert len(obj["id"]) == len(info.id_prefix) + info.id_length
            assert obj["id"][len(info.id_prefix) :].isalnum()
    ids = [o["id"] for objs in seeded.values() for o in objs]
    assert len(ids) == len(set(ids))


def test_created_times_spread_over_two_years_before_the_anchor(seeded) -> None:
    created = [c["created"] for c in seeded["charges"]]
    assert max(created) < NOW
    assert min(created) >= NOW - 731 * DAY
    assert max(created) - min(created) > 365 * DAY


def test_currencies_include_a_zero_decimal_one_with_whole_unit_amounts(seeded) -> None:
    currencies = {c["currency"] for c in seeded["charges"]}
    assert {"usd", "jpy"} <= currencies
    yen = [c["amount"] for c in seeded["charges"] if c["currency"] in ZERO_DECIMAL]
    assert yen and all(a >= 150 and a % 150 == 0 for a in yen)


def test_links_hold(seeded) -> None:
    customers = {c["id"] for c in seeded["customers"]}
    charges = {c["id"]: c for c in seeded["charges"]}
    assert {c["customer"] for c in seeded["charges"]} - {None} <= customers
    refunded: dict[str, int] = defaultdict(int)
    for refund in seeded["refunds"]:
        refunded[refund["charge"]] += refund["amount"]
        assert refund["created"] >= charges[refund["charge"]]["created"]
    for charge_id, amount in refunded.items():
        assert charges[charge_id]["amount_refunded"] == amount
    for intent in seeded["payment_intents"]:
        if intent["latest_charge"]:
            assert charges[intent["latest_charge"]]["payment_intent"] == intent["id"]
    for dispute in seeded["disputes"]:
        assert charges[dispute["charge"]]["disputed"] is True
    for invoice in seeded["invoices"]:
        assert invoice["total"] == sum(line["amount"] for line in invoice["lines"]["data"])


def test_statuses_vary(seeded) -> None:
    assert {c["status"] for c in seeded["charges"]} == {"succeeded", "failed", "pending"}
    assert len({i["status"] for i in seeded["invoices"]}) >= 3


def test_seeded_events_are_backdated_creations_of_the_last_30_days(seeded) -> None:
    events = seeded["events"]
    recent = [c for c in seeded["charges"] if c["created"] >= NOW - 30 * DAY]
    charge_events = [e for e in events if e["data"]["object"]["object"] == "charge"]
    assert len(charge_events) == len(recent)
    for event in events:
        assert event["created"] == event["data"]["object"]["created"]
        assert event["type"].endswith((".created", ".succeeded", ".failed", ".pending"))


def test_unknown_resource_in_counts_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot seed Stripe resource 'widgets'"):
        seed_objects(SeedSpec(counts={"widgets": 3}))
