"""Coercion of one value to a column type; each raises ValueError with a reason a user can act on."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from mappings.types import ColumnType

_INT = re.compile(r"^[+-]?\d+$")
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
MIN_UNIX, MAX_UNIX = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31T23:59:59
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def show(value: Any) -> str:
    """A short printable form of a value for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _nested(value: Any, wanted: str) -> ValueError:
    what = "an object" if isinstance(value, dict) else "a list"
    return ValueError(f"{what}, not {wanted}: declare type: json or pick a deeper path")


def as_text(value: Any) -> str:
    """Text from text, numbers and booleans; objects and lists are refused."""
    cls = value.__class__
    if cls is str:
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{show(value)} is not valid Unicode text") from None
        return value
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is float or cls is Decimal:
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        raise _nested(value, "text")
    return str(value)


def as_int(value: Any) -> int:
    """Whole numbers from integers, integral floats and numeric text."""
    cls = value.__class__
    if cls is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        raise ValueError(f"{value} is too large for bigint: declare type decimal(38,0)")
    if cls is bool:
        raise ValueError(f"{show(value)} is a boolean, not a whole number")
    if cls is float or cls is Decimal:
        if value == value and value not in (float("inf"), float("-inf")) and value == int(value):
            return as_int(int(value))
        raise ValueError(f"{show(value)} is not a whole number")
    if cls is str:
        text = value.strip()
        if _INT.match(text):
            return as_int(int(text))
        try:
            return as_int(Decimal(text))
        except (InvalidOperation, ValueError):
            raise ValueError(f"{show(value)} is not a whole number") from None
    if isinstance(value, dict | list):
        raise _nested(value, "a whole number")
    raise ValueError(f"{show(value)} is not a whole number")


def as_decimal(value: Any) -> Decimal:
    """An exact decimal from integers, floats (as printed) and numeric text."""
    cls = value.__class__
    if cls is Decimal:
        result = value
    elif cls is int:
        return Decimal(value)
    elif cls is float:
        result = Decimal(repr(value))
    elif cls is str:
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{show(value)} is not a number") from None
    elif cls is bool:
        raise ValueError(f"{show(value)} is a boolean, not a number")
    elif isinstance(value, dict | list):
        raise _nested(value, "a number")
    else:
        raise ValueError(f"{show(value)} is not a number")
    if not result.is_finite():
        raise ValueError(f"{show(value)} is not a finite number")
    return result


def fit_decimal(value: Any, column: ColumnType) -> Decimal:
    """A decimal that fits decimal(p,s) exactly; rounding would lose money, so it is refused."""
    number = as_decimal(value)
    scale, precision = column.scale or 0, column.precision or 38
    quantized = number.quantize(Decimal(1).scaleb(-scale)) if number.adjusted() < 40 else number
    if quantized != number:
        places = -number.normalize().as_tuple().exponent  # type: ignore[operator]
        raise ValueError(
            f"{number} needs {places} decimal places; declare type decimal({precision},{places})"
        )
    if quantized.adjusted() >= precision - scale:
        raise ValueError(f"{number} is too large for {column}")
    return quantized


def as_float(value: Any) -> float:
    """A double from numbers and numeric text."""
    cls = value.__class__
    if cls is float or cls is int:
        return float(value)
    if cls is bool:
        raise ValueError(f"{show(value)} is a boolean, not a number")
    return float(as_decimal(value))


def as_bool(value: Any) -> bool:
    """true/false from booleans, 0/1 and the words true/false/yes/no/t/f/y/n."""
    cls = value.__class__
    if cls is bool:
        return value
    if cls is int and value in (0, 1):
        return bool(value)
    if cls is str:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"{show(value)} is not a boolean (true/false, yes/no, 1/0)")


def parse_iso(text: str) -> datetime:
    """An ISO 8601 timestamp in UTC; a missing offset means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{show(text)} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_timestamp(value: Any) -> datetime:
    """A UTC timestamp from datetimes, dates and ISO 8601 text; numbers need unix_seconds."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return parse_iso(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{show(value)} is a number: add transform unix_seconds or unix_millis")
    raise ValueError(f"{show(value)} is not a timestamp")


def as_date(value: Any) -> date:
    """A date from dates, YYYY-MM-DD text and timestamps (their UTC date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{show(value)} is not an ISO 8601 date") from None
    return as_timestamp(value).date()


def from_unix(value: Any, per_second: int) -> datetime:
    """A UTC timestamp from seconds (per_second=1) or milliseconds (1000) since the epoch."""
    if value.__class__ is bool or isinstance(value, dict | list):
        raise ValueError(f"{show(value)} is not a unix time")
    seconds = as_decimal(value) / per_second
    if not MIN_UNIX <= seconds <= MAX_UNIX:
        raise ValueError(f"{show(value)} is outside the years 1 to 9999")
    whole = int(seconds // 1)
    micros = int(((seconds - whole) * 1_000_000).to_integral_value())
    return EPOCH + timedelta(seconds=whole, microseconds=micros)


def as_json(value: Any) -> str:
    """JSON text of any value (objects kept whole)."""
    return orjson.dumps(value, default=str).decode()


COERCE = {
    "text": as_text,
    "bigint": as_int,
    "double": as_float,
    "boolean": as_bool,
    "timestamp": as_timestamp,
    "date": as_date,
    "json": as_json,
}


def coerce(value: Any, column: ColumnType) -> Any:
    """`value` as a Python value of `column`'s type, or ValueError saying why it cannot be."""
    if column.kind == "decimal":
        return fit_decimal(value, column)
    return COERCE[column.kind](value)
