"""What a compiled spec makes of a page: columns intsync adds, types, filters, quarantine,
child tables, and the dlt hints the pipelines pass on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from mappings import MappingError, compile_spec, load_spec

SPEC = """
provider: stripe
resource: charges
table: stripe_charges
primary_key: [id]
fields:
  id: id
  amount: {path: amount, transform: minor_units, currency_path: currency}
  currency: {path: currency, transform: upper}
  email: {path: [billing_details.email, receipt_email], transform: [trim, lower]}
  refunded: {expr: "amount_refunded > 0"}
  status: {path: status, map: {succeeded: paid, failed: failed}, default: other}
  created_at: {path: created, transform: unix_seconds}
  card_brand: payment_method_details.card.brand
  first_refund: refunds.data[0].id
  source: {const: api}
  venue: $venue_id
children:
  refunds:
    path: refunds.data
    table: stripe_charge_refunds
    fields:
      refund_id: id
      amount: {path: amount, transform: minor_units, currency_path: currency}
"""


def charge(**overrides):
    record = {
        "id": "ch_1",
        "amount": 1999,
        "currency": "usd",
        "amount_refunded": 0,
        "status": "succeeded",
        "created": 1700000000,
        "receipt_email": None,
        "billing_details": {"email": " Ann@Example.COM "},
        "payment_method_details": {"card": {"brand": "visa"}},
        "refunds": {"data": []},
    }
    record.update(overrides)
    return record


@pytest.fixture
def compiled(compile_yaml):
    return compile_yaml(SPEC)


def test_a_page_maps_to_typed_columns(compiled, context):
    page = compiled.map_page(
        [
            charge(),
            charge(
                id="ch_2",
                amount=500,
                currency="jpy",
                amount_refunded=100,
                status="disputed",
                billing_details={"email": None},
                receipt_email="b@x.io",
                payment_method_details=None,
            ),
        ],
        context,
    )
    rows = page.table.to_pylist()
    assert [r["amount"] for r in rows] == [Decimal("19.99"), Decimal("500.00")]
    assert [r["currency"] for r in rows] == ["USD", "JPY"]
    assert [r["email"] for r in rows] == ["ann@example.com", "b@x.io"]
    assert [r["refunded"] for r in rows] == [False, True]
    assert [r["status"] for r in rows] == ["paid", "other"]
    assert rows[0]["created_at"] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert [r["card_brand"] for r in rows] == ["visa", None]
    assert [r["source"] for r in rows] == ["api", "api"]
    assert [r["venue"] for r in rows] == ["venue_1", "venue_1"]
    assert page.quarantined == [] and page.filtered == 0


def test_added_columns_and_schema(compiled, context):
    page = compiled.map_page([charge()], context, deleted_at=["2026-02-01T00:00:00+01:00"])
    row = page.table.to_pylist()[0]
    assert (row["tenant_id"], row["venue_id"], row["integration_id"]) == (
        "tenant_1",
        "venue_1",
        "int_1",
    )
    assert row["_synced_at"] == context["synced_at"]
    assert row["_deleted_at"] == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    assert page.table.schema == compiled.arrow_schema
    assert compiled.arrow_schema.names[:4] == ["tenant_id", "venue_id", "integration_id", "id"]
    assert compiled.arrow_schema.names[-2:] == ["_synced_at", "_deleted_at"]
    assert compiled.arrow_schema.field("amount").type == pa.decimal128(18, 2)
    assert compiled.arrow_schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert not compiled.arrow_schema.field("id").nullable
    assert compiled.primary_key == ["venue_id", "id"]
    assert (compiled.dataset, compiled.table, compiled.write_disposition) == (
        "staging",
        "stripe_charges",
        "merge",
    )


def test_column_hints_are_in_dlt_form(compiled):
    hints = compiled.column_hints
    assert hints["amount"] == {
        "data_type": "decimal",
        "precision": 18,
        "scale": 2,
        "nullable": True,
    }
    assert hints["id"] == {"data_type": "text", "nullable": False, "primary_key": True}
    assert hints["venue_id"]["primary_key"] is True
    assert hints["refunded"]["data_type"] == "bool"
    assert hints["created_at"] == {
        "data_type": "timestamp",
        "timezone": True,
        "precision": 6,
        "nullable": True,
    }
    assert list(hints) == compiled.arrow_schema.names


def test_uncoercible_value_quarantines_the_record_and_the_rest_load(compiled, context):
    bad = charge(
        id="ch_bad",
        amount="12,50",
        refunds={"data": [{"id": "re_1", "amount": 5, "currency": "usd"}]},
    )
    page = compiled.map_page([charge(), bad, charge(id="ch_3")], context)
    assert page.table.column("id").to_pylist() == ["ch_1", "ch_3"]
    assert page.children["stripe_charge_refunds"].num_rows == 0  # the bad record's child too
    (held,) = page.quarantined
    assert (held.spec_path, held.table, held.record_id, held.field, held.value) == (
        "spec.yaml",
        "stripe_charges",
        "ch_bad",
        "amount",
        "12,50",
    )
    assert held.reason == "'12,50' is not a whole number"
    assert held.record is bad


def test_missing_primary_key_quarantines(compiled, context):
    page = compiled.map_page([charge(id=None)], context)
    assert page.table.num_rows == 0
    assert page.quarantined[0].reason == "primary key column 'id' is empty"


def test_child_rows_carry_the_parent_id_and_position(compiled, context):
    refunds = [
        {"id": "re_1", "amount": 100, "currency": "usd"},
        {"id": "re_2", "amount": 200, "currency": "usd"},
    ]
    page = compiled.map_page([charge(), charge(id="ch_2", refunds={"data": refunds})], context)
    child = page.children["stripe_charge_refunds"]
    assert child.column_names == [
        "tenant_id",
        "venue_id",
        "integration_id",
        "parent_id",
        "position",
        "refund_id",
        "amount",
        "_synced_at",
        "_deleted_at",
    ]
    assert child.select(["parent_id", "position", "refund_id", "amount"]).to_pylist() == [
        {"parent_id": "ch_2", "position": 0, "refund_id": "re_1", "amount": Decimal("1.00")},
        {"parent_id": "ch_2", "position": 1, "refund_id": "re_2", "amount": Decimal("2.00")},
    ]
    (spec,) = compiled.children
    assert spec.primary_key == ["venue_id", "parent_id", "position"]
    assert spec.parent_key == ["parent_id"]
    assert child.schema == spec.arrow_schema
    assert page.table.column("first_refund").to_pylist() == [None, "re_1"]


def test_where_filters_records_out_silently(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\n"
        "where: \"status == 'succeeded' and amount >= 100\"\n"
        "fields:\n  id: id\n"
    )
    records = [charge(), charge(id="ch_2", status="failed"), charge(id="ch_3", amount=5)]
    page = compiled.map_page(records, context)
    assert page.table.column("id").to_pylist() == ["ch_1"]
    assert page.quarantined == [] and page.filtered == 2


def test_deleted_records_pass_the_filter_so_the_deletion_lands(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\n"
        "where: \"status == 'succeeded'\"\nfields:\n  id: id\n"
    )
    page = compiled.map_page(
        [{"id": "ch_9", "deleted": True}], context, deleted_at=["2026-02-01T00:00:00Z"]
    )
    assert page.table.column("id").to_pylist() == ["ch_9"]


def test_filter_that_cannot_be_evaluated_quarantines(compile_yaml, context):
    compiled = compile_yaml(
        'provider: stripe\nresource: charges\ntable: t\nwhere: "amount > 100"\nfields:\n  id: id\n'
    )
    page = compiled.map_page([charge(), charge(id="ch_2", amount="lots")], context)
    assert page.table.column("id").to_pylist() == ["ch_1"]
    assert page.quarantined[0].field == "where"
    assert page.quarantined[0].reason == "cannot apply '>' to 'lots' and 100"


def test_unmapped_keep_json_keeps_what_no_field_reads(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\nunmapped: keep_json\n"
        "fields:\n  id: id\n  amount: {path: amount, type: bigint}\n"
    )
    page = compiled.map_page(
        [{"id": "ch_1", "amount": 5, "object": "charge", "x": {"y": 1}}, {"id": "ch_2"}], context
    )
    assert page.table.column("_extra").to_pylist() == ['{"object":"charge","x":{"y":1}}', None]
    assert compiled.column_hints["_extra"]["data_type"] == "json"


def test_core_specs_carry_provider_in_the_key(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: payments\nfields:\n  id: id\n",
        name="core/payments/stripe_charges.yaml",
    )
    assert compiled.dataset == "core"
    assert compiled.primary_key == ["venue_id", "provider", "id"]
    page = compiled.map_page([charge()], context)
    assert page.table.column("provider").to_pylist() == ["stripe"]


def test_declared_types_and_nullable(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\nfields:\n  id: id\n"
        "  attempts: {path: n, type: bigint}\n  rate: {path: r, type: double}\n"
        "  paid: {path: p, type: boolean}\n  day: {path: d, type: date}\n"
        "  payload: {path: o, type: json}\n"
        "  code: {path: c, nullable: false}\n"
    )
    page = compiled.map_page(
        [
            {"id": "a", "n": "7", "r": 1, "p": "yes", "d": "2024-02-29", "o": {"k": [1]}, "c": "x"},
            {"id": "b", "n": 1, "r": 2.5, "p": False, "d": None, "o": None, "c": None},
        ],
        context,
    )
    assert page.table.select(["attempts", "rate", "paid", "payload"]).to_pylist() == [
        {"attempts": 7, "rate": 1.0, "paid": True, "payload": '{"k":[1]}'}
    ]
    assert str(page.table.column("day")[0]) == "2024-02-29"
    assert page.quarantined[0].reason == "column 'code' is empty (nullable: false)"


def test_default_fills_nulls_and_unlisted_map_values_pass_through(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\nfields:\n  id: id\n"
        "  tier: {path: tier, map: {g: gold}}\n  country: {path: country, default: ZZ}\n"
    )
    page = compiled.map_page(
        [{"id": "a", "tier": "g"}, {"id": "b", "tier": "s", "country": "FR"}], context
    )
    assert page.table.select(["tier", "country"]).to_pylist() == [
        {"tier": "gold", "country": "ZZ"},
        {"tier": "s", "country": "FR"},
    ]


def test_hash_salt_comes_from_compile_spec(write_spec, context):
    spec = load_spec(
        write_spec(
            "provider: stripe\nresource: customers\ntable: t\n"
            "fields:\n  id: id\n  h: {path: email, transform: sha256}\n"
        )
    )
    plain = compile_spec(spec).map_page([{"id": "a", "email": "x"}], context)
    salted = compile_spec(spec, "pepper").map_page([{"id": "a", "email": "x"}], context)
    assert plain.table.column("h")[0] != salted.table.column("h")[0]
    assert compile_spec(spec, "pepper") is compile_spec(spec, "pepper")


def test_empty_page_gives_empty_tables_with_the_schema(compiled, context):
    page = compiled.map_page([], context)
    assert page.table.num_rows == 0 and page.table.schema == compiled.arrow_schema
    assert page.children["stripe_charge_refunds"].num_rows == 0


def test_context_is_checked(compiled, context):
    with pytest.raises(MappingError, match="map_page needs context venue_id"):
        compiled.map_page([charge()], {**context, "venue_id": ""})
    with pytest.raises(MappingError, match="deleted_at has 2 entries for 1 records"):
        compiled.map_page([charge()], context, deleted_at=[None, None])


def test_partial_records_take_the_per_key_path(compiled, context):
    page = compiled.map_page([{"id": "ch_1"}, charge(id="ch_2")], context)
    assert page.table.column("currency").to_pylist() == [None, "USD"]
    assert page.table.column("status").to_pylist() == ["other", "paid"]


def test_fixed_currencies_of_different_fields_never_mix(compile_yaml, context):
    fields = "".join(
        f"  a{i}: {{path: amount, transform: minor_units, currency: {code}}}\n"
        for i, code in enumerate(["usd", "jpy", "kwd"] * 4)
    )
    compiled = compile_yaml(
        "provider: stripe\nresource: charges\ntable: t\nfields:\n  id: id\n"
        + fields.replace("kwd}", "kwd, type: 'decimal(18,3)'}")
    )
    page = compiled.map_page([{"id": "x", "amount": 1990}] * 3, context)
    row = page.table.to_pylist()[0]
    assert [row[f"a{i}"] for i in range(12)] == [
        Decimal("19.90"),
        Decimal("1990.00"),
        Decimal("1.990"),
    ] * 4


def test_child_rows_without_their_key_quarantine_the_parent(compile_yaml, context):
    compiled = compile_yaml(
        "provider: stripe\nresource: invoices\ntable: t\nfields:\n  id: id\nchildren:\n"
        "  lines:\n    path: lines.data\n    table: t_lines\n    primary_key: [id]\n"
        "    fields:\n      id: id\n      sku: {path: sku, nullable: false}\n"
    )
    page = compiled.map_page(
        [
            {"id": "in_1", "lines": {"data": [{"id": "il_1", "sku": "a"}]}},
            {"id": "in_2", "lines": {"data": [{"id": None, "sku": "b"}]}},
            {"id": "in_3", "lines": {"data": [{"id": "il_3"}]}},
        ],
        context,
    )
    assert page.table.column("id").to_pylist() == ["in_1"]
    assert page.children["t_lines"].column("id").to_pylist() == ["il_1"]
    assert [(q.record_id, q.field, q.reason) for q in page.quarantined] == [
        ("in_2", "lines.id", "column 'id' of t_lines is empty"),
        ("in_3", "lines.sku", "column 'sku' of t_lines is empty"),
    ]
