"""A column of values into an Arrow array of its declared type: one vectorised call for clean
pages, and a per-value pass that names each bad value only when that call refuses the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import orjson
import pyarrow as pa

from mappings.scalars import coerce
from mappings.types import ColumnType

Errors: TypeAlias = dict[int, str]
# a column of values on its way through the transforms: Python values, or Arrow once converted
Values: TypeAlias = Sequence[Any] | pa.Array
_FAILURES = (pa.ArrowException, TypeError, ValueError, OverflowError, AttributeError)
_UTC_US = pa.timestamp("us", tz="UTC")


class _Refused(Exception):
    """The vectorised conversion cannot vouch for this column: take the per-value pass."""


def to_arrow(values: list[Any] | pa.Array, column: ColumnType) -> tuple[pa.Array, Errors]:
    """`values` as an Arrow array of `column`'s type, plus {row: reason} for values it refused
    (those rows hold null)."""
    target = column.arrow
    if isinstance(values, pa.Array):
        if values.type == target:
            return values, {}
        try:
            return _from_arrow(values, column), {}
        except _FAILURES + (_Refused,):
            values = values.to_pylist()
    try:
        return _FAST[column.kind](values, column), {}
    except _FAILURES + (_Refused,):
        return _one_by_one(values, column)


def _one_by_one(values: list[Any], column: ColumnType) -> tuple[pa.Array, Errors]:
    errors: Errors = {}
    clean: list[Any] = []
    for row, value in enumerate(values):
        if value is None:
            clean.append(None)
            continue
        try:
            clean.append(coerce(value, column))
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            errors[row] = str(exc)
            clean.append(None)
    if column.kind == "json":
        return pa.array(clean, pa.string()), errors
    return pa.array(clean, column.arrow), errors


def _from_arrow(array: pa.Array, column: ColumnType) -> pa.Array:
    kind, source = column.kind, array.type
    if pa.types.is_null(source):
        return pa.nulls(len(array), column.arrow)
    allowed = {
        "bigint": pa.types.is_integer(source) or pa.types.is_floating(source),
        "double": pa.types.is_integer(source) or pa.types.is_floating(source),
        "decimal": pa.types.is_integer(source) or pa.types.is_decimal(source),
        "text": pa.types.is_string(source) or pa.types.is_integer(source),
        "timestamp": pa.types.is_timestamp(source) or pa.types.is_string(source),
        "date": pa.types.is_date(source)
        or pa.types.is_timestamp(source)
        or pa.types.is_string(source),
        "boolean": pa.types.is_boolean(source),
        "json": False,
    }[kind]
    if not allowed:
        raise _Refused
    if kind == "timestamp" and pa.types.is_timestamp(source) and source.tz is None:
        array = array.cast(pa.timestamp(source.unit, tz="UTC"))
    if kind == "decimal" and pa.types.is_integer(source):
        array = array.cast(pa.int64()).cast(pa.decimal128(38, column.scale or 0))
    if kind == "date" and pa.types.is_string(source) and not _all_plain_dates(array):
        array = array.cast(_UTC_US)
    return array.cast(column.arrow, safe=True)


def _all_plain_dates(array: pa.Array) -> bool:
    lengths = pa.compute.utf8_length(array)
    return bool(pa.compute.all(pa.compute.equal(lengths, 10)).as_py() is not False)


def _inferred(values: list[Any], column: ColumnType) -> pa.Array:
    return _from_arrow(pa.array(values), column)


def _text(values: list[Any], column: ColumnType) -> pa.Array:
    return pa.array(values, pa.string())


def _boolean(values: list[Any], column: ColumnType) -> pa.Array:
    return pa.array(values, pa.bool_())


def _json(values: list[Any], column: ColumnType) -> pa.Array:
    dumps = orjson.dumps
    encoded = [None if v is None else dumps(v) for v in values]
    return pa.array(encoded, pa.string())  # orjson's bytes are UTF-8


def _timestamp(values: list[Any], column: ColumnType) -> pa.Array:
    array = pa.array(values)
    if pa.types.is_timestamp(array.type) and array.type.tz is None:
        # naive datetimes are UTC wall time by the language's rule
        array = array.cast(pa.timestamp("us", tz="UTC"))
    return _from_arrow(array, column)


_FAST = {
    "text": _text,
    "bigint": _inferred,
    "double": _inferred,
    "decimal": _inferred,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "date": _inferred,
    "json": _json,
}
