"""The transform registry: what each transform takes, what it produces, and how it runs on a
column of values (a list, or an Arrow array once a vectorised step has made one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mappings import money, texts, timeconv
from mappings.arrowcast import Errors, Values, to_arrow
from mappings.types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    JSON,
    MONEY,
    TEXT,
    TIMESTAMP,
    WIDE_DECIMAL,
    ColumnType,
)

NUMERIC = frozenset({"bigint", "double", "decimal"})
TEMPORAL = frozenset({"timestamp", "date"})


@dataclass(slots=True)
class Options:
    """What a field's transforms may need besides its values."""

    salt: bytes = b""
    currency: Sequence[Any] | None = None
    exponents: dict[str, int] | None = None
    target: ColumnType = TEXT
    memo: dict[Any, Any] | None = None  # per-page results shared between fields
    repeat: int = 1  # the currency column applies to each of `repeat` runs of values in turn


@dataclass(frozen=True)
class Transform:
    """One named transform: `run` maps a column and reports {row: reason} for values it refuses."""

    name: str
    summary: str
    output: ColumnType
    produces: frozenset[str]
    takes: frozenset[str] | None
    run: Callable[[Values, Options], tuple[Values, Errors]]
    needs_currency: bool = False
    example: str = ""
    options: tuple[str, ...] = field(default=())


def _cast_to(column: ColumnType | None) -> Callable[[Values, Options], tuple[Values, Errors]]:
    def run(values: Values, options: Options) -> tuple[Values, Errors]:
        target = column
        if target is None:  # to_decimal: the declared decimal when there is one
            target = options.target if options.target.kind == "decimal" else WIDE_DECIMAL
        return to_arrow(values, target)

    return run


_TEXTY = frozenset({"text"})
_ALL = (
    Transform(
        "trim",
        "removes spaces around text",
        TEXT,
        _TEXTY,
        _TEXTY,
        texts.trim,
        example="'  Ann ' -> 'Ann'",
    ),
    Transform(
        "lower",
        "lower-cases text",
        TEXT,
        _TEXTY,
        _TEXTY,
        texts.lower,
        example="'Ann@X.COM' -> 'ann@x.com'",
    ),
    Transform(
        "upper", "upper-cases text", TEXT, _TEXTY, _TEXTY, texts.upper, example="'usd' -> 'USD'"
    ),
    Transform(
        "sha256",
        "hex SHA-256 of the text, salted with INTSYNC_HASH_SALT when set",
        TEXT,
        _TEXTY,
        _TEXTY,
        texts.sha256,
        example="'ann@x.com' -> '3f1c...'",
    ),
    Transform(
        "minor_units",
        "integer minor units to an amount in major units, by the currency's exponent",
        MONEY,
        frozenset({"decimal", "double"}),
        frozenset({"bigint"}),
        money.minor_units,
        needs_currency=True,
        example="1999 usd -> 19.99; 500 jpy -> 500; 1990 kwd -> 1.99",
        options=("currency_path", "currency", "exponents"),
    ),
    Transform(
        "unix_seconds",
        "seconds since 1970-01-01 UTC to a timestamp",
        TIMESTAMP,
        TEMPORAL,
        NUMERIC,
        timeconv.unix_seconds,
        example="1234567890 -> 2009-02-13 23:31:30+00",
    ),
    Transform(
        "unix_millis",
        "milliseconds since 1970-01-01 UTC to a timestamp",
        TIMESTAMP,
        TEMPORAL,
        NUMERIC,
        timeconv.unix_millis,
        example="1234567890123 -> 2009-02-13 23:31:30.123+00",
    ),
    Transform(
        "iso8601",
        "ISO 8601 text to a UTC timestamp; offsets are applied, none means UTC",
        TIMESTAMP,
        TEMPORAL,
        _TEXTY,
        timeconv.iso8601,
        example="'2024-03-01T10:00:00+02:00' -> 2024-03-01 08:00:00+00",
    ),
    Transform(
        "to_int",
        "numbers and numeric text to a whole number",
        BIGINT,
        NUMERIC,
        None,
        _cast_to(BIGINT),
        example="'42' -> 42; 42.0 -> 42",
    ),
    Transform(
        "to_double",
        "numbers and numeric text to a double",
        DOUBLE,
        frozenset({"double"}),
        None,
        _cast_to(DOUBLE),
        example="'1.5' -> 1.5",
    ),
    Transform(
        "to_decimal",
        "numbers and numeric text to an exact decimal",
        WIDE_DECIMAL,
        frozenset({"decimal", "double"}),
        None,
        _cast_to(None),
        example="'19.99' -> 19.99",
    ),
    Transform(
        "to_bool",
        "true/false, yes/no, 1/0 to a boolean",
        BOOLEAN,
        frozenset({"boolean"}),
        None,
        _cast_to(BOOLEAN),
        example="'yes' -> true",
    ),
    Transform(
        "to_text", "any scalar to text", TEXT, _TEXTY, None, _cast_to(TEXT), example="42 -> '42'"
    ),
    Transform(
        "json",
        "keeps a nested object or list whole, as JSON",
        JSON,
        frozenset({"json"}),
        None,
        _cast_to(JSON),
        example="{a: 1} -> '{\"a\":1}'",
    ),
)
TRANSFORMS: dict[str, Transform] = {t.name: t for t in _ALL}
