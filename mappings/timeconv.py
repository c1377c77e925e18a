"""Time transforms, vectorised with Arrow and NumPy; any value the vectorised pass cannot vouch
for sends the column through the per-value pass, which names the bad values."""

from __future__ import annotations

from typing import Any, cast

import pyarrow as pa

from mappings.arrowcast import Errors, Values
from mappings.scalars import MAX_UNIX, MIN_UNIX, as_text, from_unix, parse_iso
from mappings.texts import as_list, per_value

_UTC_US = pa.timestamp("us", tz="UTC")
_INT64_MAX = 2**63 - 1


class _Vetoed(Exception):
    """The vectorised pass cannot handle this page."""


def _unix(values: Values, per_second: int) -> tuple[Values, Errors]:
    try:
        return _unix_fast(values, per_second), {}
    except (_Vetoed, pa.ArrowException, TypeError, ValueError, OverflowError):
        return per_value(as_list(values), lambda v: from_unix(v, per_second))


def _veto() -> Any:
    raise _Vetoed


def _unix_fast(values: Values, per_second: int) -> pa.Array:
    """Whole seconds (or milliseconds) scaled to microseconds in one comprehension, range-checked,
    then handed to Arrow as the timestamp column's buffer."""
    values = as_list(values)
    factor = 1_000_000 // per_second
    micros = [
        None if v is None else (v * factor if v.__class__ is int else _veto()) for v in values
    ]
    present = cast("list[int]", [m for m in micros if m is not None] if None in micros else micros)
    if present and (min(present) < MIN_UNIX * 1_000_000 or max(present) > MAX_UNIX * 1_000_000):
        raise _Vetoed
    ints = pa.array(micros, pa.int64())
    return pa.Array.from_buffers(_UTC_US, len(ints), ints.buffers(), null_count=ints.null_count)


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
