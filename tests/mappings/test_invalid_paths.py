"""Specs checked against the provider: a path the provider's records do not have, an unknown
provider and a resource no connector reads are each reported at the part that is wrong, with a
did-you-mean from the fields of that level (the message table is what data engineers see)."""

from __future__ import annotations

import pytest

from mappings import SpecValidationError, load_spec

TOP = "provider: stripe\nresource: charges\ntable: stripe_charges\n"
HEAD = TOP + "fields:\n  id: id\n"
INVOICES = "provider: stripe\nresource: invoices\ntable: stripe_invoices\nfields:\n  id: id\n"
QB_INVOICES = (
    "provider: quickbooks\nresource: invoices\ntable: quickbooks_invoices\nfields:\n  id: Id\n"
)

CASES = [
    (
        "misspelt top-level field",
        HEAD + "  receipt_url: recipt_url\n",
        ["6:16: 'recipt_url' is not a field of stripe charges (did you mean 'receipt_url'?)"],
    ),
    (
        "misspelt object on the way",
        HEAD + "  billing_name: biling_details.name\n",
        [
            "6:17: 'biling_details' is not a field of stripe charges "
            "(did you mean 'billing_details'?)"
        ],
    ),
    (
        "misspelt field inside an object",
        HEAD + "  billing_name: billing_details.nmae\n",
        ["6:33: 'nmae' is not a field of stripe charges billing_details (did you mean 'name'?)"],
    ),
    (
        "three levels down",
        HEAD + "  card_brand: payment_method_details.card.brnd\n",
        [
            "6:43: 'brnd' is not a field of stripe charges payment_method_details.card "
            "(did you mean 'brand'?)"
        ],
    ),
    (
        "one of several paths",
        HEAD + "  email: [billing_details.email, receipt_emial]\n",
        ["6:34: 'receipt_emial' is not a field of stripe charges (did you mean 'receipt_email'?)"],
    ),
    (
        "inside an expanded object",
        HEAD + "  customer_email: customer.emial\n",
        ["6:28: 'emial' is not a field of stripe charges customer (did you mean 'email'?)"],
    ),
    (
        "a path in an expression",
        HEAD + "  refunded: {expr: 'amount_refundd > 0'}\n",
        [
            "6:20: 'amount_refundd' is not a field of stripe charges "
            "(did you mean 'amount_refunded'?)"
        ],
    ),
    (
        "a deeper path in an expression",
        HEAD + '  name: {expr: "lower(billing_details.nam)"}\n',
        ["6:39: 'nam' is not a field of stripe charges billing_details (did you mean 'name'?)"],
    ),
    (
        "a path in the filter",
        TOP + "where: \"statuss == 'succeeded'\"\nfields:\n  id: id\n",
        ["4:8: 'statuss' is not a field of stripe charges (did you mean 'status'?)"],
    ),
    (
        "currency_path",
        HEAD + "  amount: {path: amount, transform: minor_units, currency_path: curency}\n",
        ["6:65: 'curency' is not a field of stripe charges (did you mean 'currency'?)"],
    ),
    (
        "a field of a value",
        HEAD + "  amount_value: amount.value\n",
        ["6:24: 'amount' is a single value in stripe charges: it has no field 'value'"],
    ),
    (
        "an index into an object",
        HEAD + "  first_refund: refunds[0]\n",
        ["6:24: 'refunds' is not a list: [0] picks an element of a list"],
    ),
    (
        "a field of a list",
        INVOICES + "  first_amount: lines.data.amount\n",
        [
            "6:28: 'lines.data' is a list: pick an element (lines.data[0].amount) or map its "
            "elements as a child table"
        ],
    ),
    (
        "a field of a list element",
        INVOICES + "  first_amount: lines.data[0].amout\n",
        ["6:31: 'amout' is not a field of stripe invoices lines.data[0] (did you mean 'amount'?)"],
    ),
    (
        "child table path",
        INVOICES + "children:\n  lines:\n    path: lines.dta\n    table: stripe_invoice_lines\n"
        "    fields: {id: id}\n",
        ["8:17: 'dta' is not a field of stripe invoices lines (did you mean 'data'?)"],
    ),
    (
        "child table path that is not a list",
        INVOICES + "children:\n  lines:\n    path: lines\n    table: stripe_invoice_lines\n"
        "    fields: {id: id}\n",
        ["8:11: 'lines' is not a list: a child table reads a list (did you mean 'lines.data'?)"],
    ),
    (
        "child table field, read from the list's elements",
        INVOICES + "children:\n  lines:\n    path: lines.data\n    table: stripe_invoice_lines\n"
        "    fields:\n      id: id\n      amount: amout\n",
        ["12:15: 'amout' is not a field of stripe invoices lines.data[] (did you mean 'amount'?)"],
    ),
    (
        "child table filter and currency_path",
        INVOICES + "children:\n  lines:\n    path: lines.data\n    table: stripe_invoice_lines\n"
        "    where: 'amont > 0'\n    fields:\n      id: id\n"
        "      amount: {path: amount, transform: minor_units, currency_path: curr}\n",
        [
            "10:12: 'amont' is not a field of stripe invoices lines.data[] "
            "(did you mean 'amount'?)",
            "13:69: 'curr' is not a field of stripe invoices lines.data[] "
            "(did you mean 'currency'?)",
        ],
    ),
    (
        "QuickBooks reference object",
        QB_INVOICES + "  customer_id: CustomerRef.vaule\n",
        ["6:28: 'vaule' is not a field of quickbooks invoices CustomerRef (did you mean 'value'?)"],
    ),
    (
        "QuickBooks line detail",
        QB_INVOICES + "children:\n  lines:\n    path: Line\n    table: quickbooks_invoice_lines\n"
        "    primary_key: [id]\n    fields:\n      id: Id\n"
        "      price: SalesItemLineDetail.UnitPrise\n",
        [
            "13:34: 'UnitPrise' is not a field of quickbooks invoices "
            "Line[].SalesItemLineDetail (did you mean 'UnitPrice'?)"
        ],
    ),
    (
        "Square",
        "provider: square\nresource: payments\ntable: square_payments\nfields:\n  id: id\n"
        "  last4: card_details.card.last4\n",
        [
            "6:28: 'last4' is not a field of square payments card_details.card "
            "(did you mean 'last_4'?)"
        ],
    ),
    (
        "Mailchimp",
        "provider: mailchimp\nresource: members\ntable: mailchimp_members\nfields:\n  id: id\n"
        "  email: email_adress\n",
        [
            "6:10: 'email_adress' is not a field of mailchimp members (did you mean 'email_address'?)"
        ],
    ),
    (
        "unknown provider",
        "provider: strip\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n",
        [
            "1:11: unknown provider 'strip' (did you mean 'stripe'?): intsync reads stripe, "
            "square, mailchimp, quickbooks"
        ],
    ),
    (
        "resource no connector reads",
        "provider: stripe\nresource: coupons\ntable: stripe_coupons\nfields:\n  id: id\n",
        [
            "2:11: intsync does not read stripe resource 'coupons': its stripe connector reads "
            "balance_transactions, charges, customers, disputes, invoices, payment_intents, "
            "payouts, prices, products, refunds, subscriptions"
        ],
    ),
    (
        "resource named in the singular",
        "provider: square\nresource: order\ntable: square_orders\nfields:\n  id: id\n",
        [
            "2:11: intsync does not read square resource 'order' (did you mean 'orders'?): its "
            "square connector reads catalog_items, catalog_variations, customers, locations, "
            "orders, payments, refunds"
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_path_the_provider_does_not_have_is_reported_at_its_part(
    write_spec, known_fields, text, expected
):
    path = write_spec(text)
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path, known_fields)
    assert [f"{i.line}:{i.column}: {i.message}" for i in raised.value.errors] == expected


VALID = [
    ("an expandable field as an id", HEAD + "  customer_id: customer\n"),
    ("an expandable field, expanded", HEAD + "  customer_email: customer.email\n"),
    ("a reference either way", HEAD + "  customer_id: {ref: customer}\n"),
    ("anything under metadata", HEAD + "  order: metadata.order.id\n"),
    ("a key with dots under metadata", HEAD + "  order: metadata[\"order.id\"]\n"),
    ("a list page's elements", HEAD + "  first_refund: refunds.data[0].amount\n"),
    ("older API version's place", INVOICES + "  subscription_id: subscription\n"),
    ("a merge field of one audience", "provider: mailchimp\nresource: members\n"
     "table: mailchimp_members\nfields:\n  id: id\n  tier: merge_fields.MMERGE5\n"),
    ("a key the connector adds", "provider: mailchimp\nresource: members\n"
     "table: mailchimp_members\nfields:\n  id: uid\n"),
    ("Square's wire name", "provider: square\nresource: customers\ntable: square_customers\n"
     "fields:\n  id: id\n  line1: address.address_line_1\n"),
]  # fmt: skip


@pytest.mark.parametrize("text", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_paths_the_provider_has_are_accepted(write_spec, known_fields, text):
    assert load_spec(write_spec(text), known_fields).fields
