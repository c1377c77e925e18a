"""Square's field catalogue: read from the `squareup` SDK's pydantic models under the names
Square sends, kept as a snapshot of the installed SDK, and holding every field the sandbox's
records carry."""

from __future__ import annotations

import json

from connectors.common.fields import freeze
from connectors.registry import field_catalogue
from connectors.square.fields import CATALOGUE, live_catalogue
from mappings.catalogue import Miss, field_names, follow
from tests.connectors.fields_support import fields_outside_catalogue


def test_snapshot_is_what_the_installed_sdk_says():
    # renew with `python -m connectors.square.fields` after upgrading the SDK
    snapshot = json.loads(CATALOGUE.snapshot.read_text())
    assert {k: v for k, v in snapshot.items() if k != "sdk"} == freeze(live_catalogue())


def test_fields_go_by_the_names_square_sends():
    customers = field_catalogue("square", "customers")
    address = field_names(follow(customers, ("address",), ""))
    assert "address_line_1" in address and "address_line1" not in address


def test_nested_models_and_lists():
    payments = field_catalogue("square", "payments")
    assert "last_4" in field_names(follow(payments, ("card_details", "card"), ""))
    assert field_names(follow(payments, ("processing_fee", 0, "amount_money"), "")) == [
        "amount",
        "currency",
    ]
    orders = field_catalogue("square", "orders")
    assert "base_price_money" in field_names(follow(orders, ("line_items", 0), ""))


def test_catalog_objects_by_their_type():
    assert "item_data" in field_names(field_catalogue("square", "catalog_items"))
    variations = field_catalogue("square", "catalog_variations")
    assert isinstance(follow(variations, ("item_data",), ""), Miss)
    assert "sku" in field_names(follow(variations, ("item_variation_data",), ""))


def test_sandbox_records_keep_to_the_catalogue(connect):
    assert fields_outside_catalogue(connect()) == {}
