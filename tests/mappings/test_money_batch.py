"""Money columns that share a currency column are converted together; what they give must be
what each column gives alone, whatever the page's currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

AMOUNTS = ("amount", "amount_captured", "amount_refunded")
RECORDS = [
    {"id": "a", "currency": "usd", "amount": 1999, "amount_captured": 1999, "amount_refunded": 0},
    {"id": "b", "currency": "jpy", "amount": 500, "amount_captured": 0, "amount_refunded": 500},
    {"id": "c", "currency": "kwd", "amount": 1990, "amount_captured": 10, "amount_refunded": 1000},
    {"id": "d", "currency": None, "amount": None, "amount_captured": None, "amount_refunded": None},
    {"id": "e", "currency": "eur", "amount": 5, "amount_captured": None, "amount_refunded": 5},
    {"id": "h", "currency": "kwd", "amount": 1000, "amount_captured": 1000, "amount_refunded": 0},
]


def _spec(names: tuple[str, ...], kind: str) -> str:
    fields = "".join(
        f"  {name}: {{path: {name}, transform: minor_units, currency_path: currency, "
        f"type: '{kind}'}}\n"
        for name in names
    )
    return (
        "provider: stripe\nresource: charges\ntable: t\nprimary_key: [id]\nfields:\n  id: id\n"
        + (fields)
    )


def _mapped(compile_yaml, context, names, kind, records):
    page = compile_yaml(_spec(names, kind)).map_page(records, context)
    rows = {row["id"]: row for row in page.table.to_pylist()}
    bad = {(q.record_id, q.field, q.reason) for q in page.quarantined}
    return rows, bad


@pytest.mark.parametrize("kind", ["decimal(18,2)", "decimal(18,3)", "double"])
@pytest.mark.parametrize(
    "records",
    [
        RECORDS,
        [RECORDS[0], RECORDS[4]] * 3,
        [RECORDS[0], RECORDS[5]],
        [*RECORDS, {**RECORDS[2], "id": "f", "amount_refunded": 1995}],
        [*RECORDS, {**RECORDS[3], "id": "g", "amount_captured": 1}],
    ],
    ids=["mixed", "no-three-decimal", "three-decimal-exact", "places-lost", "no-currency"],
)
def test_columns_converted_together_equal_each_alone(compile_yaml, context, kind, records):
    together, together_bad = _mapped(compile_yaml, context, AMOUNTS, kind, records)
    alone_bad = set()
    for name in AMOUNTS:
        alone, bad = _mapped(compile_yaml, context, (name,), kind, records)
        alone_bad |= bad
        assert {i: row[name] for i, row in alone.items() if i in together} == {
            i: row[name] for i, row in together.items()
        }
    assert {record for record, _, _ in together_bad} == {record for record, _, _ in alone_bad}
    assert together_bad <= alone_bad


def test_a_three_decimal_currency_in_a_mixed_page(compile_yaml, context):
    rows, bad = _mapped(compile_yaml, context, AMOUNTS, "decimal(18,2)", RECORDS)
    assert not bad
    assert [rows["c"][name] for name in AMOUNTS] == [
        Decimal("1.99"),
        Decimal("0.01"),
        Decimal("1.00"),
    ]
    assert [rows["b"][name] for name in AMOUNTS] == [
        Decimal("500.00"),
        Decimal("0.00"),
        Decimal("500.00"),
    ]
