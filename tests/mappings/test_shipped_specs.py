"""The specs intsync ships: all valid against what Stripe's objects hold, every example object
maps without quarantine, and the core tables keep their canonical columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings import compile_spec, load_specs
from tests.mappings.conftest import OBJECT_BY_RESOURCE

CANONICAL = {
    "payments": {"id", "amount", "currency", "status", "customer_id", "created_at"},
    "refunds": {"id", "payment_id", "amount", "currency", "status", "created_at"},
    "customers": {"id", "email", "email_sha256", "name", "created_at"},
    "orders": {"id", "customer_id", "status", "currency", "total", "created_at"},
}


@pytest.fixture(scope="module")
def shipped(known_fields):
    return load_specs(known_fields=known_fields)


def test_every_stripe_resource_has_a_staging_spec_keyed_by_id(shipped):
    for resource in OBJECT_BY_RESOURCE:
        (spec,) = [s for s in shipped.for_resource("stripe", resource) if s.dataset == "staging"]
        assert spec.table == f"stripe_{resource}"
        assert spec.primary_key == ("id",)
        assert compile_spec(spec).primary_key == ["venue_id", "id"]


@pytest.mark.parametrize("resource", sorted(OBJECT_BY_RESOURCE))
def test_example_objects_map_cleanly(shipped, stripe_objects, context, resource):
    record = stripe_objects[OBJECT_BY_RESOURCE[resource]]
    for spec in shipped.for_resource("stripe", resource):
        page = compile_spec(spec).map_page([record], context)
        assert page.quarantined == []
        assert page.table.num_rows == 1
        assert page.table.column("id").to_pylist() == [record["id"]]


def test_money_is_decimal_in_major_units(shipped, stripe_objects, context):
    (spec,) = [s for s in shipped.for_resource("stripe", "invoices") if s.dataset == "staging"]
    page = compile_spec(spec).map_page([stripe_objects["invoice"]], context)
    assert page.table.column("amount_due").to_pylist() == [Decimal("10.00")]
    lines = page.children["stripe_invoice_lines"]
    assert lines.select(["parent_id", "id", "amount"]).to_pylist() == [
        {
            "parent_id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
            "id": "il_1Pgc6sB7WZ01zgkWFnxLrLCq",
            "amount": Decimal("10.00"),
        }
    ]


def test_core_tables_keep_the_canonical_columns(shipped):
    for table, columns in CANONICAL.items():
        specs = shipped.for_table(f"core.{table}")
        assert specs, table
        for spec in specs:
            compiled = compile_spec(spec)
            if spec.provider == "stripe":  # other providers leave out what they cannot fill
                assert columns <= set(compiled.arrow_schema.names)
            assert compiled.primary_key == ["venue_id", "provider", "id"]
            for name in ("amount", "total", "subtotal"):
                if name in compiled.column_hints:
                    assert compiled.column_hints[name]["data_type"] == "decimal"


def test_charges_spec_reads_like_the_issue_example(shipped):
    (spec,) = [s for s in shipped.for_resource("stripe", "charges") if s.dataset == "staging"]
    assert spec.field("email").source_text == "billing_details.email | receipt_email"
    assert spec.children == ()  # refunds come whole from the refunds resource
