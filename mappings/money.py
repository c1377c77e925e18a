"""minor_units: integer minor units plus a currency into an amount in major units.

The fast pass works on Python ints: the column's value types are checked once, per-row scale
factors are worked out once per page and currency column, amounts are scaled by one C-level
multiply (rows of a currency with more places than the column are divided exactly after), and
the unscaled integers become the decimal column's buffer directly. Anything it cannot
vouch for (a float, a missing currency, digits the column cannot keep) sends the column to the
per-value pass, which says which value and why."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from operator import mul
from typing import Any, cast

import numpy as np
import pyarrow as pa

from mappings.arrowcast import Errors, Values
from mappings.currencies import exponent
from mappings.scalars import as_int, as_text
from mappings.texts import as_list

_POW = [10**k for k in range(40)]
_FAILURES = (pa.ArrowException, TypeError, ValueError, OverflowError)
_NONE = type(None)
_INT_OR_NONE = frozenset({int, _NONE})
_ONLY_NONE = frozenset({_NONE})
_INT64 = 2**63


class _Vetoed(Exception):
    """The fast pass cannot vouch for this column."""


def minor_units(values: Values, options: Any) -> tuple[Values, Errors]:
    """1999 + 'usd' -> 19.99; 500 + 'jpy' -> 500; 1990 + 'kwd' -> 1.99."""
    values = as_list(values)
    try:
        return _fast(values, options), {}
    except (_Vetoed, *_FAILURES):
        pass
    out: list[Any] = []
    errors: Errors = {}
    codes = _codes(options)
    for row, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(_one(value, codes[row], options.exponents))
        except (ValueError, TypeError, ArithmeticError) as exc:
            errors[row] = str(exc)
            out.append(None)
    return out, errors


def _codes(options: Any) -> Sequence[Any]:
    """The currency of each value: the currency column, repeated for columns converted together."""
    if options.repeat == 1:
        return options.currency
    return list(options.currency) * options.repeat


def _one(amount: Any, currency: Any, overrides: dict[str, int] | None) -> Decimal:
    if currency is None:
        raise ValueError(f"amount {amount!r} has no currency: set currency_path or currency")
    return Decimal(as_int(amount)).scaleb(-exponent(as_text(currency), overrides))


def _shifts(currencies: Sequence[Any], options: Any, scale: int) -> int | _Rows:
    """Decimal places to move each row by (scale - exponent): one int when the page has one
    currency, else the per-row factors. Memoised per page: amount, amount_refunded, ... share the
    currency column. The memo holds the currency column itself, so its id cannot be reused while
    the entry lives."""
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
    found: int | _Rows
    if len(table) == 1 and None not in table:
        found = cast(int, next(iter(table.values())))
    else:
        found = _Rows.of(currencies, table)
    memo[key] = (currencies, found)
    return found


class _Rows:
    """Per-row shifts of a page with several currencies, as factors for one C-level multiply:
    rows that lose places (a three-decimal currency in a two-place column) multiply by 1 and
    are divided exactly afterwards; rows without a currency are listed apart."""

    __slots__ = ("factors", "divided", "missing")

    def __init__(
        self, factors: list[int], divided: list[tuple[int, int]], missing: list[int]
    ) -> None:
        self.factors = factors
        self.divided = divided
        self.missing = missing

    @classmethod
    def of(cls, currencies: Sequence[Any], shifts: dict[Any, int | None]) -> _Rows:
        """The rows of a currency column, given each currency's shift."""
        factor = {c: 1 if s is None or s < 0 else _POW[s] for c, s in shifts.items()}
        divisor = {c: _POW[-s] for c, s in shifts.items() if s is not None and s < 0}
        return cls(
            [factor[c] for c in currencies],
            [(row, divisor[c]) for row, c in enumerate(currencies) if c in divisor]
            if divisor
            else [],
            [row for row, c in enumerate(currencies) if c is None] if None in shifts else [],
        )

    def repeated(self, count: int, size: int) -> _Rows:
        """The rows of `count` columns of `size` values that share this currency column."""
        if count == 1:
            return self
        return _Rows(
            self.factors * count,
            [(row + k * size, d) for k in range(count) for row, d in self.divided],
            [row + k * size for k in range(count) for row in self.missing],
        )


def _fast(values: Sequence[Any], options: Any) -> pa.Array:
    target = options.target
    kinds = set(map(type, values))
    if not kinds <= _INT_OR_NONE:
        raise _Vetoed  # floats, text, booleans: the per-value pass says what it makes of them
    if kinds <= _ONLY_NONE:
        return pa.nulls(len(values), target.arrow)
    if target.kind == "double":
        return _as_double(values, options)
    scale, precision = target.scale or 0, target.precision or 18
    shifts = _shifts(options.currency, options, scale)
    has_none = _NONE in kinds
    if isinstance(shifts, int):
        unscaled = _scale_one(values, shifts, has_none)
    else:
        rows = shifts.repeated(options.repeat, len(options.currency))
        unscaled = _scale_rows(values, rows, has_none)
    return _decimal_array(unscaled, precision, scale, has_none)


def _scale_one(values: Sequence[Any], shift: int, has_none: bool) -> Sequence[Any]:
    if shift == 0:
        return values
    if shift > 0:
        factor = _POW[shift]
        if has_none:
            return [None if a is None else a * factor for a in values]
        return [a * factor for a in values]
    return [None if a is None else _divided(a, _POW[-shift]) for a in values]


def _scale_rows(values: Sequence[Any], rows: _Rows, has_none: bool) -> list[Any]:
    if has_none:
        unscaled = [None if a is None else a * f for a, f in zip(values, rows.factors, strict=True)]
    else:
        unscaled = list(map(mul, values, rows.factors))
    for row in rows.missing:
        if unscaled[row] is not None:
            raise _Vetoed  # an amount without a currency: the per-value pass says so
    for row, divisor in rows.divided:
        amount = unscaled[row]
        if amount is not None:
            unscaled[row] = _divided(amount, divisor)
    return unscaled


def _divided(amount: int, divisor: int) -> int:
    whole, rest = divmod(amount, divisor)
    if rest:
        raise _Vetoed  # more decimal places than the column keeps
    return whole


def _decimal_array(unscaled: Sequence[Any], precision: int, scale: int, has_none: bool) -> pa.Array:
    """The unscaled integers as decimal128(precision, scale): each value's 16 bytes are its
    int64 and that int64's sign word."""
    present = [u for u in unscaled if u is not None] if has_none else unscaled
    limit = _POW[precision]
    if max(present) >= limit or min(present) <= -limit:
        raise _Vetoed
    kind = options_type(precision, scale)
    if precision > 18 and (max(present) >= _INT64 or min(present) < -_INT64):
        return _wide_array(unscaled, kind, has_none)
    size = len(unscaled)
    if has_none:
        ints = pa.array(unscaled, pa.int64())  # nulls hold 0
        validity, low = ints.buffers()[0], np.frombuffer(ints.buffers()[1], np.int64, size)
    else:
        validity, low = None, np.array(unscaled, dtype=np.int64)
    words = np.empty(2 * size, dtype=np.int64)
    words[0::2] = low
    words[1::2] = low >> 63
    nulls = size - len(present)
    return pa.Array.from_buffers(kind, size, [validity, pa.py_buffer(words)], null_count=nulls)


def _wide_array(unscaled: Sequence[Any], kind: pa.DataType, has_none: bool) -> pa.Array:
    """Unscaled integers beyond int64, written as decimal128's 16-byte words."""
    data = b"".join((u or 0).to_bytes(16, "little", signed=True) for u in unscaled)
    nulls = unscaled.count(None) if has_none else 0
    validity = (
        pa.array([u is not None for u in unscaled], pa.bool_()).buffers()[1] if nulls else None
    )
    return pa.Array.from_buffers(
        kind, len(unscaled), [validity, pa.py_buffer(data)], null_count=nulls
    )


_TYPES: dict[tuple[int, int], pa.DataType] = {}


def options_type(precision: int, scale: int) -> pa.DataType:
    """decimal128(precision, scale), made once."""
    found = _TYPES.get((precision, scale))
    if found is None:
        found = _TYPES[(precision, scale)] = pa.decimal128(precision, scale)
    return found


def _as_double(values: Sequence[Any], options: Any) -> pa.Array:
    codes = _codes(options)
    divisors = [
        1.0 if c is None else float(_POW[exponent(as_text(c), options.exponents)]) for c in codes
    ]
    out = [None if a is None else a / d for a, d in zip(values, divisors, strict=True)]
    if any(a is not None and c is None for a, c in zip(values, codes, strict=True)):
        raise _Vetoed
    return pa.array(out, pa.float64())
