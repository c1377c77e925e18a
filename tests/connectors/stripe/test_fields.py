"""Stripe's field catalogue: read from the `stripe` SDK's resource classes, kept as a snapshot
of the installed SDK, and holding every field the sandbox's records carry."""

from __future__ import annotations

import json

from connectors.common.fields import freeze
from connectors.registry import field_catalogue
from connectors.stripe.fields import CATALOGUE, live_catalogue
from mappings.catalogue import ANYTHING, Miss, field_names, follow, options
from tests.connectors.fields_support import fields_outside_catalogue


def test_snapshot_is_what_the_installed_sdk_says():
    # renew with `python -m connectors.stripe.fields` after upgrading the SDK
    snapshot = json.loads(CATALOGUE.snapshot.read_text())
    assert {k: v for k, v in snapshot.items() if k != "sdk"} == freeze(live_catalogue())


def test_every_field_the_sdk_annotates_is_there():
    charges = field_catalogue("stripe", "charges")
    assert {"amount", "receipt_url", "billing_details", "payment_method_details"} <= set(
        field_names(charges)
    )
    assert field_names(follow(charges, ("billing_details",), "")) == [
        "address",
        "email",
        "name",
        "object",
        "phone",
        "tax_id",
    ]
    assert "brand" in field_names(follow(charges, ("payment_method_details", "card"), ""))


def test_expandable_field_is_an_id_or_the_whole_object():
    charges = field_catalogue("stripe", "charges")
    customer = follow(charges, ("customer",), "")
    assert "text" in options(customer)
    assert "email" in field_names(customer)
    assert not isinstance(follow(charges, ("payment_intent", "latest_charge", "id"), ""), Miss)


def test_metadata_takes_any_key_and_list_pages_their_elements():
    charges = field_catalogue("stripe", "charges")
    assert follow(charges, ("metadata", "order", "id"), "") == ANYTHING
    assert "amount" in field_names(follow(charges, ("refunds", "data", 0), ""))
    assert isinstance(follow(charges, ("refunds", 0), ""), Miss)


def test_unknown_resource_has_no_catalogue():
    assert field_catalogue("stripe", "coupons") is None


def test_sandbox_records_keep_to_the_catalogue(connector):
    assert fields_outside_catalogue(connector) == {}
