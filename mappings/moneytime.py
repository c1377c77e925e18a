"""Money and time transforms, vectorised with Arrow and NumPy; any value the vectorised pass
cannot vouch for sends the column through the per-value pass, which names the bad values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mappings.arrowcast import Errors
from mappings.currencies import exponent
from mappings.scalars import MAX_UNIX, MIN_UNIX, as_int, as_text, from_unix, parse_iso
from mappings.texts import as_list, per_value

Values = list[Any] | pa.Array
_UTC_US = pa.timestamp("us", tz="UTC")
_INT64_MAX = 2**63 - 1


class _Vetoed(Exception):
    """The vectorised pass cannot handle this page."""


def minor_units(values: Values, options: Any) -> tuple[Values, Errors]:
    """1999 + 'usd' -> 19.99; 500 + 'jpy' -> 500; the currency comes per row or as a constant."""
    currencies = options.currency
    try:
        return _minor_units_fast(values, currencies, options), {}
    except (_Vetoed, pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    values = as_list(values)
    out: list[Any] = []
    errors: Errors = {}
    for row, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(_minor_one(value, currencies[row], options.exponents))
        except (ValueError, TypeError, ArithmeticError) as exc:
            errors[row] = str(exc)
            out.append(None)
    return out, errors


def _minor_one(amount: Any, currency: Any, overrides: dict[str, int] | None) -> Decimal:
    if currency is None:
        raise ValueError(f"amount {amount!r} has no currency: set currency_path or currency")
    code = as_text(currency)
    return Decimal(as_int(amount)).scaleb(-exponent(code, overrides))


def _exponents(currencies: list[Any], overrides: dict[str, int] | None) -> np.ndarray | int:
    distinct = set(currencies)
    if len(distinct) == 1:
        (only,) = distinct
        if only.__class__ is not str:
            raise _Vetoed
        return exponent(only, overrides)
    if any(c.__class__ is not str for c in distinct):
        raise _Vetoed
    table = {c: exponent(c, overrides) for c in distinct}
    return np.fromiter((table[c] for c in currencies), dtype=np.int64, count=len(currencies))


def _minor_units_fast(values: Values, currencies: list[Any], options: Any) -> pa.Array:
    amounts = values if isinstance(values, pa.Array) else pa.array(values)
    if pa.types.is_null(amounts.type):
        return pa.nulls(len(amounts), options.target.arrow)
    if amounts.type != pa.int64() or amounts.offset:
        raise _Vetoed
    if amounts.null_count:
        nulls = pc.is_null(amounts).to_numpy(zero_copy_only=False)
        currencies = ["usd" if null else c for c, null in zip(currencies, nulls, strict=True)]
    exps = _exponents(currencies, options.exponents)
    raw = pc.fill_null(amounts, 0).to_numpy()
    target = options.target
    if target.kind == "double":
        mask = pc.is_null(amounts).to_numpy(zero_copy_only=False) if amounts.null_count else None
        return pa.array(raw / np.power(10.0, exps), pa.float64(), mask=mask)
    scale, precision = target.scale or 0, target.precision or 18
    shift = scale - exps
    if np.any(shift < 0):
        raise _Vetoed  # more decimals than the column keeps: the slow pass says which rows
    factor = np.power(10, shift, dtype=np.int64)
    limit = min(10 ** min(precision, 18), _INT64_MAX) // factor
    if np.any(np.abs(raw) >= limit):
        raise _Vetoed
    unscaled = raw * factor
    words = np.empty(2 * len(unscaled), dtype=np.int64)
    words[0::2] = unscaled
    words[1::2] = unscaled >> 63
    validity = amounts.buffers()[0]
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale),
        len(amounts),
        [validity, pa.py_buffer(words)],
        null_count=amounts.null_count,
    )


def _unix(values: Values, per_second: int) -> tuple[Values, Errors]:
    try:
        return _unix_fast(values, per_second), {}
    except (_Vetoed, pa.ArrowException, TypeError, ValueError, OverflowError):
        return per_value(as_list(values), lambda v: from_unix(v, per_second))


def _unix_fast(values: Values, per_second: int) -> pa.Array:
    array = values if isinstance(values, pa.Array) else pa.array(values)
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), _UTC_US)
    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        raise _Vetoed
    low, high = pc.min_max(array).values()
    if low.is_valid and (
        low.as_py() < MIN_UNIX * per_second or high.as_py() > MAX_UNIX * per_second
    ):
        raise _Vetoed
    micros = pc.multiply(array, 1_000_000 // per_second)
    if pa.types.is_floating(array.type):
        micros = pc.round(micros).cast(pa.int64())
    return micros.cast(pa.int64()).cast(_UTC_US)


def unix_seconds(values: Values, options: Any) -> tuple[Values, Errors]:
    """Seconds since the epoch (integers or fractions) to UTC timestamps."""
    return _unix(values, 1)


def unix_millis(values: Values, options: Any) -> tuple[Values, Errors]:
    """Milliseconds since the epoch to UTC timestamps."""
    return _unix(values, 1000)


def iso8601(values: Values, options: Any) -> tuple[Values, Errors]:
    """ISO 8601 text to UTC timestamps: offsets applied, text without one taken as UTC."""
    values = as_list(values)
    try:
        return pa.array(values, pa.string()).cast(_UTC_US), {}
    except (pa.ArrowException, TypeError, ValueError):
        return per_value(values, lambda v: parse_iso(as_text(v)))
