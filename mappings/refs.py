"""References in either shape: a field the provider sends as a bare id or as an object that
carries it (Stripe's expandable `customer`: "cus_1" or {"id": "cus_1", ...}; QuickBooks'
`CustomerRef`: {"value": "42", "name": "Ann"} or "42"). Both shapes give the id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mappings.arrowcast import Errors
from mappings.scalars import show
from mappings.texts import per_value

# the key that holds the id in each provider's reference objects; every other provider uses `id`
ID_KEYS = {"quickbooks": "value"}
DEFAULT_ID_KEY = "id"
_BARE = frozenset({str, int, type(None)})


def default_id_key(provider: str) -> str:
    """The key of `provider`'s reference objects that holds the id."""
    return ID_KEYS.get(provider, DEFAULT_ID_KEY)


def ref_id(value: Any, key: str) -> Any:
    """The id in one value: the value itself when bare, `value[key]` when an object; a list, or
    an object without `key`, is neither shape (ValueError)."""
    if value.__class__ is dict:
        if key not in value:
            keys = ", ".join(sorted(map(str, value))[:5]) or "none"
            raise ValueError(
                f"an object without '{key}' (its keys: {keys}), not a reference: "
                "set id_key to the key that holds the id"
            )
        return value[key]
    if isinstance(value, list):
        raise ValueError(f"{show(value)} is a list, not an id or an object with '{key}'")
    return value


def ref_ids(values: Sequence[Any], key: str) -> tuple[Sequence[Any], Errors]:
    """A column of references as a column of ids, and {row: reason} for values in neither
    shape (those keep their value, for the quarantine row to show)."""
    kinds = set(map(type, values))
    if kinds <= _BARE:
        return values, {}
    if kinds <= {dict, type(None)}:
        try:
            return [None if v is None else v[key] for v in values], {}
        except KeyError:
            pass
    out, errors = per_value(values, lambda value: ref_id(value, key))
    return [values[row] if row in errors else value for row, value in enumerate(out)], errors
