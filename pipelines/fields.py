"""The fields provider records carry, as dict-key paths: what drift compares with the specs.

A field is a path of dict keys to a value that is neither null nor a dict (`billing_details.email`,
`metadata.order_id`); a list is one field, whatever it holds. Keys that are not plain names are
quoted as the spec language quotes them (`metadata["order.id"]`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

FieldPath = tuple[str, ...]

# how deep fields are followed into nested objects (deeper ones count as their ancestor)
MAX_DEPTH = 6
# a sync looks at every key of every record, and into nested objects of this many per page
SAMPLE_PER_PAGE = 4
_PLAIN = re.compile(r"[A-Za-z0-9_\-@]+")


def record_fields(records: Sequence[Any]) -> dict[FieldPath, Any]:
    """Every field the records carry, each with one of its values (the first met)."""
    found: dict[FieldPath, Any] = {}
    for record in records:
        if record.__class__ is dict:
            _walk(record, (), found)
    return found


def page_fields(records: Sequence[Any], roots: set[str]) -> set[FieldPath]:
    """The fields a page of records carries, at a bounded cost per page: a page of up to
    SAMPLE_PER_PAGE records is read whole; of a longer one, that many records spread over it,
    and the top-level keys of one record of each length (a key some records have and others
    lack changes their length); a top-level key not in `roots` is then looked for in every
    record. `roots` gains the page's top-level keys: pass the same set for every page of a read.
    A nested field carried by a few records of long pages may be missed by one page and met
    by a later one; drift (`field_drift`) reads raw without sampling within a record set."""
    if len(records) <= SAMPLE_PER_PAGE:
        sample = records
    else:
        sample = records[:: len(records) // SAMPLE_PER_PAGE]
    found = set(record_fields(sample))
    keys: set[str] = set()
    if len(sample) < len(records):
        # a record with a top-level key the others lack has a length of its own (providers
        # such as Stripe send every key, null or not): one record of each length is enough
        for record in {len(r): r for r in records if r.__class__ is dict}.values():
            keys.update(record)
    new = keys - roots
    if new:
        found |= set(record_fields([{k: r.get(k) for k in new} for r in records]))
    roots |= keys
    roots.update(path[0] for path in found)
    return found


def field_text(path: FieldPath) -> str:
    """`shipping.phone`, `metadata["order.id"]`: how specs write the path."""
    parts: list[str] = []
    for key in path:
        if _PLAIN.fullmatch(key):
            parts.append(f".{key}" if parts else key)
        else:
            parts.append(f'["{key}"]' if '"' not in key else f"['{key}']")
    return "".join(parts)


def field_path(text: str) -> FieldPath:
    """The inverse of field_text (for paths read back from the store)."""
    from mappings.paths import parse_path

    parsed = parse_path(text)
    if isinstance(parsed, str):
        return (text,)
    return tuple(str(segment) for segment in parsed.segments)


def example(value: Any, width: int = 60) -> str:
    """A value as drift shows it: JSON-like, cut to `width` characters."""
    import orjson

    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text if len(text) <= width else text[: width - 3] + "..."


def _walk(record: dict[str, Any], prefix: FieldPath, found: dict[FieldPath, Any]) -> None:
    for key, value in record.items():
        if value is None:
            continue
        path = (*prefix, key)
        if value.__class__ is dict and len(path) < MAX_DEPTH:
            _walk(value, path, found)
        elif path not in found:
            found[path] = value
