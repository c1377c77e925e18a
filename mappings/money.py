"""minor_units: integer minor units plus a currency into an amount in major units.

The fast pass works on Python ints and one buffer per column: per-row scale factors are worked
out once per page and currency column, amounts are checked and scaled in one comprehension,
and the unscaled integers become the decimal column's buffer directly. Anything it cannot vouch
for (a float, a missing currency, digits the column cannot keep) sends the column to the
per-value pass, which says which value and why."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pyarrow as pa

from mappings.arrowcast import Errors, Values
from mappings.currencies import exponent
from mappings.scalars import as_int, as_text
from mappings.texts import as_list

_POW = [10**k for k in range(40)]
_FAILURES = (pa.ArrowException, TypeError, ValueError, OverflowError)


class _Vetoed(Exception):
    """The fast pass cannot vouch for this column."""


def _veto() -> Any:
    raise _Vetoed


def minor_units(values: Values, options: Any) -> tuple[Values, Errors]:
    """1999 + 'usd' -> 19.99; 500 + 'jpy' -> 500; 1990 + 'kwd' -> 1.99."""
    values = as_list(values)
    try:
        return _fast(values, options), {}
    except (_Vetoed, *_FAILURES):
        pass
    out: list[Any] = []
    errors: Errors = {}
    for row, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(_one(value, options.currency[row], options.exponents))
        except (ValueError, TypeError, ArithmeticError) as exc:
            errors[row] = str(exc)
            out.append(None)
    return out, errors


def _one(amount: Any, currency: Any, overrides: dict[str, int] | None) -> Decimal:
    if currency is None:
        raise ValueError(f"amount {amount!r} has no currency: set currency_path or currency")
    return Decimal(as_int(amount)).scaleb(-exponent(as_text(currency), overrides))


def _shifts(currencies: list[Any], options: Any, scale: int) -> int | list[int | None]:
    """Decimal places to move each row by (scale - exponent); one int when the page has one
    currency. Memoised per page: amount, amount_refunded, ... share the currency column. The
    memo holds the currency column itself, so its id cannot be reused while the entry lives."""
    memo = options.memo if options.memo is not None else {}
    key = ("shifts", id(currencies), repr(options.exponents), scale)
    entry = memo.get(key)
    if entry is not None and entry[0] is currencies:
        return entry[1]
    table: dict[Any, int | None] = {}
    for code in set(currencies):
        if code is None:
            table[None] = None  # fine where the amount is missing too
        elif code.__class__ is str:
            table[code] = scale - exponent(code, options.exponents)
        else:
            raise _Vetoed
    single = len(table) == 1 and None not in table
    # one currency, not missing: its shift is an int
    found = cast(int, next(iter(table.values()))) if single else [table[c] for c in currencies]
    memo[key] = (currencies, found)
    return found


def _fast(values: Sequence[Any], options: Any) -> pa.Array:
    target = options.target
    if values.count(None) == len(values):
        return pa.nulls(len(values), target.arrow)
    if target.kind == "double":
        return _as_double(values, options)
    scale, precision = target.scale or 0, target.precision or 18
    shifts = _shifts(options.currency, options, scale)
    if isinstance(shifts, int):
        unscaled = _scale_one(values, shifts)
    elif None not in shifts and min(shifts) >= 0:  # type: ignore[type-var, operator]
        factors = [_POW[s] for s in shifts]  # type: ignore[index]
        unscaled = [
            None if a is None else (a * f if a.__class__ is int else _veto())
            for a, f in zip(values, factors, strict=True)
        ]
    else:
        unscaled = [
            None if a is None else _scaled(a, s) for a, s in zip(values, shifts, strict=True)
        ]
    return _decimal_array(unscaled, precision, scale)


def _scale_one(values: Sequence[Any], shift: int) -> list[Any]:
    if shift >= 0:
        factor = _POW[shift]
        return [
            None if a is None else (a * factor if a.__class__ is int else _veto()) for a in values
        ]
    return [None if a is None else _scaled(a, shift) for a in values]


def _scaled(amount: Any, shift: int | None) -> int:
    if amount.__class__ is not int or shift is None:
        raise _Vetoed
    if shift >= 0:
        return amount * _POW[shift]
    whole, rest = divmod(amount, _POW[-shift])
    if rest:
        raise _Vetoed  # more decimal places than the column keeps
    return whole


def _decimal_array(unscaled: list[Any], precision: int, scale: int) -> pa.Array:
    present = [u for u in unscaled if u is not None] if None in unscaled else unscaled
    limit = _POW[precision]
    if max(present) >= limit or min(present) <= -limit:
        raise _Vetoed
    kind = options_type(precision, scale)
    size, nulls = len(unscaled), len(unscaled) - len(present)
    if not nulls and size >= 32:
        ints = np.array(unscaled, dtype=np.int64)
        words = np.empty(2 * size, dtype=np.int64)
        words[0::2] = ints
        words[1::2] = ints >> 63
        return pa.Array.from_buffers(kind, size, [None, pa.py_buffer(words)])
    data = b"".join((u or 0).to_bytes(16, "little", signed=True) for u in unscaled)
    validity = (
        pa.array([u is not None for u in unscaled], pa.bool_()).buffers()[1] if nulls else None
    )
    return pa.Array.from_buffers(kind, size, [validity, pa.py_buffer(data)], null_count=nulls)


_TYPES: dict[tuple[int, int], pa.DataType] = {}


def options_type(precision: int, scale: int) -> pa.DataType:
    """decimal128(precision, scale), made once."""
    found = _TYPES.get((precision, scale))
    if found is None:
        found = _TYPES[(precision, scale)] = pa.decimal128(precision, scale)
    return found


def _as_double(values: Sequence[Any], options: Any) -> pa.Array:
    codes = options.currency
    divisors = [
        1.0 if c is None else float(_POW[exponent(as_text(c), options.exponents)]) for c in codes
    ]
    out = [
        None if a is None else (a / d if a.__class__ is int else _veto())
        for a, d in zip(values, divisors, strict=True)
    ]
    if any(a is not None and c is None for a, c in zip(values, codes, strict=True)):
        raise _Vetoed
    return pa.array(out, pa.float64())
