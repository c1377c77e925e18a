"""A full Stripe read cut into creation windows: the parts together are the serial read."""

from __future__ import annotations

import pickle

import orjson
import pytest

from connectors.common.splits import oldest_bound, windows
from connectors.stripe.client import StripeConnector
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.stripe.conftest import KEY


@pytest.fixture(autouse=True)
def split_small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded 250 charges are three pages: split them anyway."""
    monkeypatch.setattr(StripeConnector, "split_min_pages", 1)


def _read_parts(connector: StripeConnector, resource: str, parts: int) -> tuple[list, dict]:
    split = connector.split(resource, {}, parts=parts)
    assert split is not None
    ids, summaries = [], []
    for part in split.parts:
        pages = list(connector.read_part(resource, part))
        ids += [r["id"] for p in pages for r in p.records]
        summaries.append(pages[-1].state)
    return ids, connector.join_parts(resource, split, summaries)


@pytest.mark.parametrize("resource", ["charges", "payment_intents"])
def test_the_parts_read_every_object_once_and_join_to_the_serial_state(
    connector: StripeConnector, stripe_sandbox: StripeSandbox, resource: str
) -> None:
    serial = list(connector.read(resource, {}))
    serial_ids = [r["id"] for p in serial for r in p.records]
    if resource == "payment_intents":  # 40 fit on one page: nothing to split
        assert connector.split(resource, {}, parts=4) is None
        return

    ids, state = _read_parts(connector, resource, parts=6)

    assert ids == serial_ids  # newest first, like the serial read
    assert len(set(ids)) == len(ids) == 250
    expected = dict(serial[-1].state)
    assert state.pop("events_checked_at") >= expected.pop("events_checked_at")
    assert state == expected


def test_an_incremental_read_is_not_split(connector: StripeConnector) -> None:
    state = list(connector.read("charges", {}))[-1].state
    assert connector.split("charges", state, parts=4) is None
    assert connector.split("charges", state, full_refresh=True, parts=4) is not None


def test_objects_created_during_a_split_read_are_in_the_top_part(
    connector: StripeConnector, stripe_sandbox: StripeSandbox
) -> None:
    split = connector.split("charges", {}, parts=4)
    assert split is not None
    created = stripe_sandbox.create(KEY, "charges", {"amount": 500, "currency": "usd"})
    top = list(connector.read_part("charges", split.parts[0]))
    assert created["id"] in [r["id"] for p in top for r in p.records]


def test_a_read_of_a_few_pages_is_not_split(
    connector: StripeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StripeConnector, "split_min_pages", 20)
    assert connector.split("charges", {}, parts=4) is None


def test_windows_cover_all_time_newest_first() -> None:
    parts = windows(1000, 1999, 4)
    assert parts == [
        {"gte": 1750, "lt": None},
        {"gte": 1500, "lt": 1750},
        {"gte": 1250, "lt": 1500},
        {"gte": None, "lt": 1250},
    ]
    assert windows(5, 5, 8) == [{"gte": None, "lt": None}]


def test_the_oldest_bound_is_at_or_just_before_the_oldest_object() -> None:
    oldest, newest = 1_600_000_000, 1_700_000_000
    probes: list[int] = []

    def exists_before(moment: int) -> bool:
        probes.append(moment)
        return moment > oldest

    bound = oldest_bound(exists_before, newest)
    assert oldest - (newest - oldest) / 100 <= bound <= oldest
    assert len(probes) <= 20


def test_a_recipe_builds_a_share_of_the_budget_and_hides_the_key(
    connector: StripeConnector,
) -> None:
    recipe = pickle.loads(pickle.dumps(connector.recipe(share=0.5)))
    assert KEY not in repr(recipe)
    copy = recipe.build()
    try:
        assert copy.budget.bucket is not None
        assert copy._recipe["rate_per_second"] == 500
        assert orjson.dumps(next(iter(copy.read("customers", {}))).records[0])
    finally:
        copy.close()
