"""The expression language: what it computes, how nulls behave, and what it refuses to do
(no Python: no attribute access, imports or arbitrary calls)."""

from __future__ import annotations

import pytest

from mappings.expr_eval import Page, compile_expression, infer_type
from mappings.expr_grammar import parse_expression
from mappings.expr_parse import ExprError
from mappings.paths import Extractor, parse_path
from mappings.types import BIGINT, BOOLEAN, DOUBLE, TEXT

RECORDS = [
    {"a": 3, "s": "Abc", "n": None, "items": [{"k": 1}, {"k": 2}], "m": {"x.y": 5}},
    {"a": 0, "s": None, "items": []},
    {"a": "q", "s": "z"},
]


def evaluate(source: str, records=RECORDS, context=None):
    run = compile_expression(parse_expression(source))
    return run(Page(Extractor(records), len(records), context or {}))


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("a > 0", [True, False, None]),
        ("s is null", [False, True, False]),
        ("s is not null and a == 3", [True, False, False]),
        ("lower(s) in ['abc', 'z']", [True, None, True]),
        ("s not in ['z']", [True, None, False]),
        ("coalesce(n, s, 'none')", ["Abc", "none", "z"]),
        ("concat(s, '#', items[0].k)", ["Abc#1", "#", "z#"]),
        ("if(a == 3, 'three', 'other')", ["three", "other", "other"]),
        ("length(items)", [2, 0, None]),
        ('m["x.y"] * 2', [10, None, None]),
        ("items[-1].k", [2, None, None]),
        ("not (a == 3)", [False, True, True]),
        ("$venue_id", ["v1", "v1", "v1"]),
    ],
)
def test_expressions_compute_per_row(source, values):
    assert evaluate(source, context={"venue_id": "v1"})[0] == values


def test_rows_that_cannot_be_computed_are_named():
    values, errors = evaluate("a / (a - 3)")
    assert values == [None, 0.0, None]
    assert errors == {0: "division by zero", 2: "'q' is not a number"}


def test_three_valued_logic():
    records = [{"x": True, "y": None}, {"x": False, "y": None}, {"x": None, "y": None}]
    assert evaluate("x and y", records)[0] == [None, False, None]
    assert evaluate("x or y", records)[0] == [True, None, None]


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("__import__('os')", "unknown function '__import__'", 0),
        ("a.__class__.__bases__()", "unknown function 'a.__class__.__bases__'", 0),
        ("open('x')", "unknown function 'open'", 0),
        ("a; b", "unexpected character ';'", 1),
        ("a = 1", "unexpected '=': use '==' to compare", 2),
        ("a && b", "unexpected '&': use 'and'", 2),
        ("(a", "expected ')' to close '(', found the end", 2),
        ("a in [b]", "the list after 'in' takes only literal values", 6),
        ("round(a, 1, 2)", "round() takes 1 to 2 arguments, not 3", 0),
        ("", "the expression is empty", 0),
    ],
)
def test_what_the_language_refuses(source, message, offset):
    with pytest.raises(ExprError) as raised:
        parse_expression(source)
    assert str(raised.value) == message
    assert raised.value.offset == offset


def test_dots_read_record_keys_never_python_attributes():
    values, _ = evaluate("s.__class__", [{"s": "x"}, {"s": {"__class__": "only a key"}}])
    assert values == [None, "only a key"]


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("a > 1", BOOLEAN),
        ("a + 1", DOUBLE),
        ("1 + 2", BIGINT),
        ("concat(a, b)", TEXT),
        ("length(a)", BIGINT),
        ("if(a, 1, 2)", BIGINT),
        ("a", None),
    ],
)
def test_result_types_are_inferred(source, kind):
    assert infer_type(parse_expression(source)) == kind


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a", ("a",)),
        ("a.b[0].c", ("a", "b", 0, "c")),
        ("lines.data[-1]", ("lines", "data", -1)),
        ('metadata["order.id"]', ("metadata", "order.id")),
        ("MetaData.LastUpdatedTime", ("MetaData", "LastUpdatedTime")),
    ],
)
def test_paths(text, segments):
    assert parse_path(text).segments == segments


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a..b", "path 'a..b' has an empty part at position 3"),
        ("a.", "path 'a.' ends with '.'"),
        ("[0]", "path '[0]' must start with a key, not an index"),
        ("a b", "unexpected ' ' at position 2 of path 'a b'"),
    ],
)
def test_bad_paths(text, message):
    assert parse_path(text) == message
