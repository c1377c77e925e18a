"""Time transforms, vectorised with Arrow and NumPy; any value the vectorised pass cannot vouch
for sends the column through the per-value pass, which names the bad values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from mappings.arrowcast import Errors, Values
from mappings.scalars import MAX_UNIX, MIN_UNIX, as_text, from_unix, parse_iso
from mappings.texts import as_list, per_value

_UTC_US = pa.timestamp("us", tz="UTC")
_INT_OR_NONE = frozenset({int, type(None)})


class _Vetoed(Exception):
    """The vectorised pass cannot handle this page."""


def _unix(values: Values, per_second: int) -> tuple[Values, Errors]:
    try:
        return _unix_fast(values, per_second), {}
    except (_Vetoed, pa.ArrowException, TypeError, ValueError, OverflowError):
        return per_value(as_list(values), lambda v: from_unix(v, per_second))


def _unix_fast(values: Values, per_second: int) -> pa.Array:
    """Whole seconds (or milliseconds): their types checked once, the column handed to Arrow as
    int64, range-checked and scaled to microseconds in NumPy, and that buffer made the timestamp
    column's."""
    values = as_list(values)
    if not set(map(type, values)) <= _INT_OR_NONE:
        raise _Vetoed  # fractions, text, booleans: the per-value pass
    ints = pa.array(values, pa.int64())
    validity, data = ints.buffers()
    seconds = np.frombuffer(data, np.int64, len(ints))  # null slots hold 0, inside the range
    if len(seconds) and (
        seconds.min() < MIN_UNIX * per_second or seconds.max() > MAX_UNIX * per_second
    ):
        raise _Vetoed
    micros = seconds * (1_000_000 // per_second)
    return pa.Array.from_buffers(
        _UTC_US, len(ints), [validity, pa.py_buffer(micros)], null_count=ints.null_count
    )


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
