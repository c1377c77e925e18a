"""Time transforms, vectorised with Arrow and NumPy; any value the vectorised pass cannot vouch
for sends the column through the per-value pass, which names the bad values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mappings.arrowcast import Errors
from mappings.scalars import MAX_UNIX, MIN_UNIX, as_text, from_unix, parse_iso
from mappings.texts import as_list, per_value

Values = list[Any] | pa.Array
_UTC_US = pa.timestamp("us", tz="UTC")
_INT64_MAX = 2**63 - 1


class _Vetoed(Exception):
    """The vectorised pass cannot handle this page."""


def _unix(values: Values, per_second: int) -> tuple[Values, Errors]:
    try:
        return _unix_fast(values, per_second), {}
    except (_Vetoed, pa.ArrowException, TypeError, ValueError, OverflowError):
        return per_value(as_list(values), lambda v: from_unix(v, per_second))


def _unix_fast(values: Values, per_second: int) -> pa.Array:
    array = values if isinstance(values, pa.Array) else pa.array(values)
    size = len(array)
    if pa.types.is_null(array.type):
        return pa.nulls(size, _UTC_US)
    integer = array.type == pa.int64()
    if not (integer or array.type == pa.float64()) or array.offset or not size:
        raise _Vetoed
    nulls = array.null_count
    data = (pc.fill_null(array, 0) if nulls and integer else array).to_numpy(zero_copy_only=False)
    if nulls == size:
        return pa.nulls(size, _UTC_US)
    low, high = (np.nanmin(data), np.nanmax(data)) if nulls else (data.min(), data.max())
    if low < MIN_UNIX * per_second or high > MAX_UNIX * per_second:
        raise _Vetoed
    factor = 1_000_000 // per_second
    micros = data * factor if integer else np.rint(np.nan_to_num(data) * factor).astype(np.int64)
    return pa.Array.from_buffers(
        _UTC_US, size, [array.buffers()[0], pa.py_buffer(micros)], null_count=nulls
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
