"""Invalid specs: every one is reported at its line and column with a message naming the key and
the fix (the message table is the contract data engineers see)."""

from __future__ import annotations

import pytest

from mappings import SpecValidationError, load_spec

HEAD = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
TOP = "provider: stripe\nresource: charges\ntable: stripe_charges\n"

CASES = [
    (
        "unknown transform",
        HEAD + "  currency: {path: currency, transform: uper}\n",
        ["6:41: unknown transform 'uper' (did you mean 'upper'?)"],
    ),
    (
        "path into a field the resource does not have",
        HEAD + "  amount: amout\n",
        ["6:11: 'amout' is not a field of stripe charges (did you mean 'amount'?)"],
    ),
    (
        "type a transform cannot produce",
        HEAD + "  created_at: {path: created, transform: unix_seconds, type: boolean}\n",
        [
            "6:62: transform 'unix_seconds' produces timestamp, not boolean: remove 'type' "
            "or use a transform that gives it (to_bool)"
        ],
    ),
    (
        "duplicate column",
        HEAD + "  amount: amount\n  amount: amount_captured\n",
        ["7:3: duplicate column 'amount' (first defined at line 6)"],
    ),
    (
        "missing primary key field",
        TOP + "primary_key: [uid]\nfields:\n  id: id\n",
        [
            "4:15: primary key field 'uid' is not a column of this spec (did you mean 'id'?): "
            "add it under fields or fix primary_key"
        ],
    ),
    (
        "no primary key and no id column",
        TOP + "fields:\n  charge_id: id\n",
        [
            "1:1: no primary_key given and no 'id' column: add id under fields or set "
            "primary_key: [...]"
        ],
    ),
    (
        "expression that does not parse",
        HEAD + '  refunded: {expr: "amount_refunded >"}\n',
        ["6:38: expression 'amount_refunded >' does not parse: expected a value, found the end"],
    ),
    (
        "single = in a filter",
        TOP + "where: \"status = 'paid'\"\nfields:\n  id: id\n",
        ["4:16: expression 'status = 'paid'' does not parse: unexpected '=': use '==' to compare"],
    ),
    (
        "unknown function in an expression",
        HEAD + '  email: {expr: "lowr(receipt_email)"}\n',
        [
            "6:17: expression 'lowr(receipt_email)' does not parse: unknown function 'lowr' "
            "(did you mean 'lower'?)"
        ],
    ),
    (
        "comparison with null",
        HEAD + '  no_email: {expr: "receipt_email == null"}\n',
        [
            "6:35: expression 'receipt_email == null' does not parse: compare with null using "
            "'is null'"
        ],
    ),
    (
        "type name from another language",
        HEAD + "  amount: {path: amount, type: integer}\n",
        ["6:32: unknown type 'integer' (did you mean 'bigint'?)"],
    ),
    (
        "decimal precision out of range",
        HEAD + "  amount: {path: amount, transform: minor_units, currency_path: currency, "
        'type: "decimal(40,2)"}\n',
        ["6:81: decimal precision 40 is out of range: use 1 to 38"],
    ),
    (
        "transform given the wrong input",
        HEAD + "  created: {path: created, transform: [unix_seconds, lower]}\n",
        ["6:54: transform 'lower' takes text, but 'unix_seconds' before it gives timestamp"],
    ),
    (
        "minor_units without a currency",
        HEAD + "  amount: {path: amount, transform: minor_units}\n",
        [
            "6:37: transform 'minor_units' needs currency_path (where the record keeps its "
            "currency) or currency (a fixed code such as usd)"
        ],
    ),
    (
        "currency_path without minor_units",
        HEAD + "  currency: {path: currency, currency_path: currency}\n",
        ["6:30: 'currency_path' is only used by transform minor_units"],
    ),
    (
        "default that does not fit the type",
        HEAD + "  attempts: {path: amount, type: bigint, default: many}\n",
        ["6:51: default 'many' does not fit type bigint: 'many' is not a whole number"],
    ),
    (
        "map that is not a mapping",
        HEAD + "  status: {path: status, map: [paid, failed]}\n",
        ["6:31: map takes a mapping of source value: column value"],
    ),
    (
        "column name not snake_case",
        HEAD + "  cardBrand: payment_method_details.card.brand\n",
        ["6:3: column name 'cardBrand' must be lower snake_case, e.g. 'card_brand'"],
    ),
    (
        "column intsync adds itself",
        HEAD + "  venue_id: metadata.venue\n",
        ["6:3: column 'venue_id' is added by intsync: rename this field"],
    ),
    (
        "two sources for one field",
        HEAD + "  paid: {path: paid, expr: \"status == 'succeeded'\"}\n",
        ["6:9: field 'paid' needs exactly one of path, ref, const or expr (found path and expr)"],
    ),
    (
        "misspelt field key",
        HEAD + "  currency: {path: currency, transfrom: upper}\n",
        ["6:30: unknown key 'transfrom' in field 'currency' (did you mean 'transform'?)"],
    ),
    (
        "unknown context value",
        HEAD + "  venue: $venu_id\n",
        [
            "6:10: unknown context value '$venu_id' (did you mean '$venue_id'?): use $tenant_id, "
            "$venue_id, $integration_id, $provider, $synced_at"
        ],
    ),
    (
        "malformed path",
        HEAD + "  email: billing_details..email\n",
        ["6:10: path 'billing_details..email' has an empty part at position 17"],
    ),
    (
        "misspelt top-level key",
        "provider: stripe\nresource: charges\ntabel: stripe_charges\nfields:\n  id: id\n",
        [
            "1:1: missing key 'table': name the table to write, e.g. table: stripe_charges",
            "3:1: unknown key 'tabel' in the spec (did you mean 'table'?)",
        ],
    ),
    (
        "nothing but fields",
        "fields:\n  id: id\n",
        [
            "1:1: missing key 'provider': name the provider, e.g. provider: stripe",
            "1:1: missing key 'resource': name the connector resource it reads, e.g. "
            "resource: charges",
            "1:1: missing key 'table': name the table to write, e.g. table: stripe_charges",
        ],
    ),
    (
        "unknown write disposition",
        TOP + "write_disposition: upsert\nfields:\n  id: id\n",
        ["4:20: write_disposition 'upsert' is not one of merge, append, replace"],
    ),
    (
        "unknown unmapped policy",
        TOP + "unmapped: keep\nfields:\n  id: id\n",
        ["4:11: unmapped 'keep' is not one of drop, keep_json (did you mean 'keep_json'?)"],
    ),
    (
        "child table without a table name",
        HEAD + "children:\n  refunds:\n    path: refunds.data\n    fields: {id: id}\n",
        ["8:5: child table 'refunds' is missing 'table'"],
    ),
    (
        "extends a file that is not there",
        "extends: base.yaml\ntable: stripe_charges_v2\n",
        ["1:10: 'extends: base.yaml' names no file (base.yaml does not exist)"],
    ),
    (
        "YAML syntax error",
        HEAD + "  amount: {path: amount\n",
        ["7:1: YAML syntax error: did not find expected ',' or '}'"],
    ),
    (
        "a date YAML cannot read",
        HEAD + "  opened: {const: 2020-13-45}\n",
        ["6:19: cannot read '2020-13-45': month must be in 1..12; quote it to keep it as text"],
    ),
    (
        "a key the language no longer has",
        TOP + "incremental: {cursor: created, initial_value: 2020-01-01}\nfields:\n  id: id\n",
        [
            "4:1: 'incremental' is no longer a key: syncs never read it (a first sync reads "
            "everything, each later one what changed since the connector's own cursor): delete it"
        ],
    ),
    (
        "ref and path together",
        HEAD + "  customer_id: {path: customer, ref: customer}\n",
        [
            "6:16: field 'customer_id' needs exactly one of path, ref, const or expr "
            "(found path and ref)"
        ],
    ),
    (
        "id_key without ref",
        HEAD + "  customer_id: {path: customer, id_key: id}\n",
        ["6:33: 'id_key' is only used with ref: write ref: instead of path:"],
    ),
    (
        "id_key that is a path",
        HEAD + "  customer_id: {ref: customer, id_key: customer.id}\n",
        ["6:40: id_key 'customer.id' is one key of the object, not a path"],
    ),
    (
        "ref of a context value",
        HEAD + "  venue: {ref: $venue_id}\n",
        ["6:16: ref reads a record path, not the context value '$venue_id'"],
    ),
    (
        "misspelt id_key",
        HEAD + "  customer_id: {ref: customer, idkey: id}\n",
        ["6:32: unknown key 'idkey' in field 'customer_id' (did you mean 'id_key'?)"],
    ),
    (
        "malformed ref path",
        HEAD + "  customer_id: {ref: customer..id}\n",
        ["6:22: path 'customer..id' has an empty part at position 10"],
    ),
    (
        "ref into a field the resource does not have",
        HEAD + "  customer_id: {ref: custmer}\n",
        ["6:22: 'custmer' is not a field of stripe charges (did you mean 'customer'?)"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_spec_is_reported_at_its_line_and_column(write_spec, known_fields, text, expected):
    path = write_spec(text)
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path, known_fields)
    assert [f"{i.line}:{i.column}: {i.message}" for i in raised.value.errors] == expected
    assert all(str(i).startswith("spec.yaml:") for i in raised.value.errors)


def test_every_error_in_a_file_is_reported_at_once(write_spec, known_fields):
    path = write_spec(
        HEAD
        + "  currency: {path: currency, transform: uper}\n"
        + "  created_at: {path: created, transform: unix_seconds, type: boolean}\n"
        + '  refunded: {expr: "amount_refunded >"}\n'
    )
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path, known_fields)
    lines = [str(i) for i in raised.value.errors]
    assert [line.split(": ", 1)[0] for line in lines] == [
        "spec.yaml:6:41",
        "spec.yaml:7:62",
        "spec.yaml:8:38",
    ]
    assert str(raised.value).splitlines()[1:] == lines


def test_issue_prints_as_path_line_column_message(write_spec):
    path = write_spec(HEAD + "  currency: {path: currency, transform: uper}\n", "specs/x.yaml")
    with pytest.raises(SpecValidationError) as raised:
        load_spec(path)
    assert str(raised.value.errors[0]) == (
        "specs/x.yaml:6:41: unknown transform 'uper' (did you mean 'upper'?)"
    )


def test_without_connector_knowledge_unknown_fields_are_accepted(write_spec):
    path = write_spec(HEAD + "  amount: amout\n")
    assert load_spec(path).field("amount").paths[0].text == "amout"
