"""Text transforms: each runs as one list comprehension and retries value by value only when a
value is not text."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from mappings.arrowcast import Errors, Values
from mappings.scalars import as_text


def as_list(values: Values) -> Sequence[Any]:
    """A Python list of the column, whatever form the previous step left it in."""
    return values.to_pylist() if isinstance(values, pa.Array) else values


def per_value(values: Sequence[Any], one: Callable[[Any], Any]) -> tuple[Sequence[Any], Errors]:
    """The slow pass: `one` on each non-null value; refusals become {row: reason} and null."""
    out: list[Any] = []
    errors: Errors = {}
    for row, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(one(value))
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            errors[row] = str(exc)
            out.append(None)
    return out, errors


def trim(values: Values, options: object) -> tuple[Values, Errors]:
    """Strip surrounding whitespace."""
    values = as_list(values)
    try:
        return [None if v is None else v.strip() for v in values], {}
    except (AttributeError, TypeError, ValueError):
        return per_value(values, lambda v: as_text(v).strip())


def lower(values: Values, options: object) -> tuple[Values, Errors]:
    """Lower-case."""
    values = as_list(values)
    try:
        return [None if v is None else v.lower() for v in values], {}
    except (AttributeError, TypeError, ValueError):
        return per_value(values, lambda v: as_text(v).lower())


def upper(values: Values, options: object) -> tuple[Values, Errors]:
    """Upper-case."""
    values = as_list(values)
    try:
        return [None if v is None else v.upper() for v in values], {}
    except (AttributeError, TypeError, ValueError):
        return per_value(values, lambda v: as_text(v).upper())


def sha256(values: Values, options: Any) -> tuple[Values, Errors]:
    """Hex SHA-256 of salt + UTF-8 text: reproducible in SQL as sha256(salt || value)."""
    values = as_list(values)
    seed = hashlib.sha256(options.salt)

    def one(value: Any) -> str:
        digest = seed.copy()
        digest.update(as_text(value).encode())
        return digest.hexdigest()

    try:
        return [None if v is None else _digest(seed, v) for v in values], {}
    except (AttributeError, TypeError, ValueError):
        return per_value(values, one)


def _digest(seed: Any, text: str) -> str:
    digest = seed.copy()
    digest.update(text.encode())
    return digest.hexdigest()
