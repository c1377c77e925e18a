"""The compiled, column-at-a-time mapping gives exactly what a record-by-record walk of the same
spec gives, on messy records too: the fast paths never change a value, only the time taken."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mappings.oracle import interpret_page

SPEC = """
provider: stripe
resource: charges
table: stripe_charges
where: "status != 'ignored'"
fields:
  id: id
  amount: {path: amount, transform: minor_units, currency_path: currency}
  amount_double: {path: amount, transform: minor_units, currency_path: currency, type: double}
  currency: {path: currency, transform: upper}
  email: {path: [billing_details.email, receipt_email], transform: [trim, lower]}
  email_sha256: {path: [billing_details.email, receipt_email], transform: [trim, lower, sha256]}
  refunded: {expr: "amount_refunded > 0"}
  big: {expr: "amount * 2 + 1"}
  label: {expr: "concat(upper(currency), '-', coalesce(status, 'none'))"}
  status: {path: status, map: {succeeded: paid, failed: failed}, default: other}
  created_at: {path: created, transform: unix_seconds}
  updated_at: {path: updated, transform: iso8601}
  paid: {path: paid, type: boolean}
  attempts: {path: attempts, transform: to_int}
  brand: payment_method_details.card.brand
  first_item: items[0]
  last_item: items[-1]
  metadata: {path: metadata, transform: json}
  note: {path: note, default: none}
  customer_id: {ref: customer}
  payer: {ref: [payer, customer], id_key: uid, transform: upper}
children:
  refunds:
    path: refunds.data
    table: stripe_charge_refunds
    where: "amount > 0"
    fields:
      refund_id: id
      amount: {path: amount, transform: minor_units, currency_path: currency}
"""

messy_text = st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5), st.booleans())
money = st.one_of(st.none(), st.integers(-(10**9), 10**9), st.sampled_from([1.0, 2.5, "7", True]))
currency = st.one_of(st.sampled_from(["usd", "jpy", "kwd", "EUR"]), st.none(), st.just(3))
reference = st.one_of(  # an id, the object that carries it, or neither
    st.none(),
    messy_text,
    st.fixed_dictionaries({"id": messy_text}),
    st.fixed_dictionaries({"uid": messy_text, "id": st.just("other")}),
    st.just({"object": "customer"}),
    st.lists(st.text(max_size=2), max_size=2),
)
refund = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=5),
        "amount": st.one_of(st.integers(-100, 10**6), st.just("x")),
        "currency": st.sampled_from(["usd", "kwd"]),
    }
)
record = st.fixed_dictionaries(
    {
        "amount": money,
        "currency": currency,
        "amount_refunded": st.one_of(st.none(), st.integers(0, 10), st.just("n")),
        "status": st.one_of(
            st.sampled_from(["succeeded", "failed", "ignored", "open"]), st.none(), st.just(5)
        ),
        "created": st.one_of(
            st.none(), st.integers(0, 2_000_000_000), st.just("soon"), st.just(1.5)
        ),
        "updated": st.one_of(
            st.none(),
            st.sampled_from(
                ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05+05:30", "2024-01-02", "bad"]
            ),
        ),
        "paid": st.one_of(st.none(), st.booleans(), st.sampled_from(["yes", 1, 2])),
        "attempts": st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["4", "x", 2.0])),
        "metadata": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=3), messy_text, max_size=2)
        ),
        "note": messy_text,
        "items": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3)),
    },
    optional={
        "billing_details": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"email": st.one_of(st.none(), st.emails().map(lambda e: f" {e.upper()} "))}
            ),
        ),
        "receipt_email": st.one_of(st.none(), st.emails(), st.just(7)),
        "customer": reference,
        "payer": reference,
        "payment_method_details": st.one_of(
            st.none(),
            st.just({"card": None}),
            st.fixed_dictionaries({"card": st.fixed_dictionaries({"brand": messy_text})}),
        ),
        "refunds": st.one_of(
            st.none(), st.fixed_dictionaries({"data": st.lists(refund, max_size=3)})
        ),
    },
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(record, max_size=45))
def test_compiled_mapping_equals_the_record_by_record_walk(compile_yaml, context, records):
    for index, item in enumerate(records):
        item["id"] = f"ch_{index}"
    compiled = compile_yaml(SPEC, salt="pepper")
    fast = compiled.map_page(records, context)
    slow = interpret_page(compiled, records, context, salt="pepper")
    assert fast.table.to_pylist() == slow.table.to_pylist()
    assert fast.children["stripe_charge_refunds"].to_pylist() == (
        slow.children["stripe_charge_refunds"].to_pylist()
    )
    assert [q.record_id for q in fast.quarantined] == [q.record_id for q in slow.quarantined]
    main_fields = {f.name for f in compiled.spec.fields} | {"where"}
    assert [q.field for q in fast.quarantined if q.field in main_fields] == [
        q.field for q in slow.quarantined if q.field in main_fields
    ]
