"""Transforms, value by value and a page at a time: money against currency exponents,
timestamps with offsets, hashing that stays the same across runs and machines."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.arrowcast import to_arrow
from mappings.transforms import TRANSFORMS, Options
from mappings.types import BIGINT, BOOLEAN, DOUBLE, MONEY, TEXT, TIMESTAMP, ColumnType

# Decimal places of each currency's minor unit, written out here independently of the code.
EXPONENTS = {
    "usd": 2,
    "eur": 2,
    "gbp": 2,
    "isk": 2,
    "jpy": 0,
    "krw": 0,
    "clp": 0,
    "vnd": 0,
    "kwd": 3,
    "bhd": 3,
    "jod": 3,
    "omr": 3,
    "tnd": 3,
}
WIDE_MONEY = ColumnType("decimal", 18, 3)
amounts = st.integers(min_value=-(10**12), max_value=10**12)
currencies = st.sampled_from(sorted(EXPONENTS) + [c.upper() for c in EXPONENTS])


def run(name: str, values: list, target: ColumnType = TEXT, **options) -> tuple[list, dict]:
    """A transform over a column, then the column's type: Python values and {row: reason}."""
    out, errors = TRANSFORMS[name].run(values, Options(target=target, memo={}, **options))
    array, more = to_arrow(out, target)
    return array.to_pylist(), {**more, **errors}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), amounts), currencies), max_size=60))
def test_minor_units_divide_by_the_currency_exponent(pairs):
    values = [amount for amount, _ in pairs]
    codes = [code for _, code in pairs]
    mapped, errors = run("minor_units", values, WIDE_MONEY, currency=codes)
    assert errors == {}
    expected = [
        None if amount is None else Decimal(amount).scaleb(-EXPONENTS[code.lower()])
        for amount, code in pairs
    ]
    assert mapped == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(amounts, st.sampled_from(["kwd", "bhd", "usd"])), min_size=1, max_size=40)
)
def test_three_decimal_amounts_that_do_not_fit_two_places_are_refused_not_rounded(pairs):
    values = [amount for amount, _ in pairs]
    codes = [code for _, code in pairs]
    mapped, errors = run("minor_units", values, MONEY, currency=codes)
    for row, (amount, code) in enumerate(pairs):
        exact = Decimal(amount).scaleb(-EXPONENTS[code])
        if code != "usd" and amount % 10:
            assert mapped[row] is None
            assert "needs 3 decimal places; declare type decimal(18,3)" in errors[row]
        else:
            assert mapped[row] == exact and row not in errors


def test_minor_units_examples_from_the_docs():
    mapped, errors = run(
        "minor_units", [1999, 500, 1990, None], MONEY, currency=["usd", "jpy", "kwd", "usd"]
    )
    assert mapped == [Decimal("19.99"), Decimal("500"), Decimal("1.99"), None] and not errors


def test_minor_units_refuses_fractions_and_missing_currencies_by_row():
    mapped, errors = run(
        "minor_units", [1999, 12.5, 300, True], MONEY, currency=["usd", "usd", None, "usd"]
    )
    assert mapped == [Decimal("19.99"), None, None, None]
    assert errors == {
        1: "12.5 is not a whole number",
        2: "amount 300 has no currency: set currency_path or currency",
        3: "True is a boolean, not a whole number",
    }


def test_minor_units_exponent_overrides_and_double_columns():
    mapped, _ = run("minor_units", [500], MONEY, currency=["isk"], exponents={"isk": 0})
    assert mapped == [Decimal("500")]
    mapped, _ = run("minor_units", [1999, 500], DOUBLE, currency=["usd", "jpy"])
    assert mapped == [19.99, 500.0]


offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(
    lambda quarters: timezone(timedelta(minutes=15 * quarters))
)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(moments, offsets), max_size=40), st.booleans())
def test_iso8601_applies_offsets_and_gives_utc(stamps, z_for_utc):
    texts = []
    for moment, offset in stamps:
        text = moment.replace(tzinfo=offset).isoformat()
        if z_for_utc and offset.utcoffset(None) == timedelta(0):
            text = text.replace("+00:00", "Z")
        texts.append(text)
    mapped, errors = run("iso8601", texts, TIMESTAMP)
    assert errors == {}
    assert mapped == [moment.replace(tzinfo=offset).astimezone(UTC) for moment, offset in stamps]


def test_iso8601_without_offset_is_utc_and_garbage_is_refused():
    mapped, errors = run(
        "iso8601", ["2024-03-01T10:00:00", "2024-03-01 10:00:00+02:00", "soon"], TIMESTAMP
    )
    assert mapped[:2] == [datetime(2024, 3, 1, 10, tzinfo=UTC), datetime(2024, 3, 1, 8, tzinfo=UTC)]
    assert mapped[2] is None and errors == {2: "'soon' is not an ISO 8601 timestamp"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.integers(min_value=-(10**10), max_value=253402300799)), max_size=60
    )
)
def test_unix_seconds_count_from_the_epoch_in_utc(seconds):
    mapped, errors = run("unix_seconds", seconds, TIMESTAMP)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert errors == {}
    assert mapped == [None if s is None else epoch + timedelta(seconds=s) for s in seconds]


def test_unix_times_out_of_range_or_not_numbers_are_refused():
    mapped, errors = run("unix_seconds", [1234567890, 10**13, "soon"], TIMESTAMP)
    assert mapped == [datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC), None, None]
    assert errors == {
        1: "10000000000000 is outside the years 1 to 9999",
        2: "'soon' is not a number",
    }
    mapped, _ = run("unix_millis", [1234567890123], TIMESTAMP)
    assert mapped == [datetime(2009, 2, 13, 23, 31, 30, 123000, tzinfo=UTC)]


def test_unix_seconds_to_a_date_column_takes_the_utc_date():
    mapped, _ = run("unix_seconds", [1709333999], ColumnType("date"))
    assert mapped == [datetime(2024, 3, 1, tzinfo=UTC).date()]


def test_sha256_matches_the_published_digest_with_and_without_salt():
    plain, _ = run("sha256", ["ann@example.com", None])
    salted, _ = run("sha256", ["ann@example.com"], salt=b"pepper")
    assert plain == ["71d4f55f72fa128dfb468a1a3901507c804b74316488744d769d7f4b16696476", None]
    assert salted == ["831740710d6a8225c6ad8e71610353afdfcf9f6a3caa448dc11ab17a513081c2"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.emails(), min_size=1, max_size=20), st.sampled_from(["", " ", "  \t"]))
def test_trim_lower_sha256_ignores_case_and_surrounding_space(emails, pad):
    clean = [
        TRANSFORMS["sha256"].run(
            TRANSFORMS["lower"].run(TRANSFORMS["trim"].run(emails, Options())[0], Options())[0],
            Options(),
        )[0]
    ]
    messy = [pad + e.upper() + pad for e in emails]
    dirty = [
        TRANSFORMS["sha256"].run(
            TRANSFORMS["lower"].run(TRANSFORMS["trim"].run(messy, Options())[0], Options())[0],
            Options(),
        )[0]
    ]
    assert clean == dirty


def test_sha256_is_the_same_in_another_process_with_another_hash_seed():
    code = (
        "from mappings.transforms import TRANSFORMS, Options;"
        "print(TRANSFORMS['sha256'].run(['ann@example.com'], Options(salt=b'pepper'))[0][0])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout.strip()
        for seed in ("1", "2", "random")
    }
    assert outputs == {"831740710d6a8225c6ad8e71610353afdfcf9f6a3caa448dc11ab17a513081c2"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=30))
def test_to_int_reads_numbers_written_as_text(numbers):
    mapped, errors = run("to_int", [None if n is None else f" {n} " for n in numbers], BIGINT)
    assert mapped == numbers and errors == {}


def test_to_int_refuses_fractions_and_words():
    mapped, errors = run("to_int", ["12", 3.0, 2.5, "two", False], BIGINT)
    assert mapped == [12, 3, None, None, None]
    assert errors == {
        2: "2.5 is not a whole number",
        3: "'two' is not a whole number",
        4: "False is a boolean, not a whole number",
    }


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        (1, True),
        ("f", False),
        ("NO", False),
        (0, False),
        (False, False),
    ],
)
def test_to_bool_words(word, expected):
    assert run("to_bool", [word], BOOLEAN) == ([expected], {})


def test_to_bool_refuses_other_words():
    assert run("to_bool", ["maybe"], BOOLEAN) == (
        [None],
        {0: "'maybe' is not a boolean (true/false, yes/no, 1/0)"},
    )


def test_to_decimal_keeps_the_digits_given():
    mapped, errors = run("to_decimal", ["19.99", 0.1, 7, "abc"], ColumnType("decimal", 38, 9))
    assert mapped[:3] == [Decimal("19.99"), Decimal("0.1"), Decimal("7")]
    assert errors == {3: "'abc' is not a number"}


def test_text_transforms_turn_numbers_into_text_and_refuse_objects():
    assert run("upper", ["usd", 12, None]) == (["USD", "12", None], {})
    mapped, errors = run("trim", [" a ", {"x": 1}])
    assert mapped == ["a", None]
    assert errors == {1: "an object, not text: declare type: json or pick a deeper path"}


def test_json_keeps_nested_objects_whole():
    mapped, errors = run("json", [{"b": [1, 2], "a": None}, None, "x"], ColumnType("json"))
    assert mapped == ['{"b":[1,2],"a":null}', None, '"x"'] and errors == {}
