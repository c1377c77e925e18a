"""The record paths a spec reads, and whether they cover a field a provider sends.

A field of a record is named by its dict keys from the top (`billing_details.email`); a list is
one field, whatever it holds. A spec covers a field when it reads the field itself, something
that holds it (`metadata` read whole, a child table's array, a reference read as `customer`), or
something inside it (`customer.id` covers `customer` sent as a bare id). Context values and
constants read nothing. `unmapped: keep_json` keeps every top-level key in `_extra`: such a spec
covers every field.
"""

from __future__ import annotations

from collections.abc import Iterable

from mappings.expr_parse import Node, PathRef, walk
from mappings.model import Spec
from mappings.paths import Segment, SourcePath

# what read_paths returns for a spec that keeps every unmapped key (covers every field)
EVERYTHING: tuple[str, ...] = ()


def read_paths(spec: Spec) -> frozenset[tuple[str, ...]]:
    """The dict-key paths into a record that the spec reads: field paths (every alternative of
    a coalesce), expression and `where` paths, `currency_path`s and child table arrays, each cut
    at its first list index (`lines.data[0].amount` reads `lines.data`). Child fields read
    inside their array and add nothing. A spec with `unmapped: keep_json` reads EVERYTHING."""
    if spec.unmapped == "keep_json":
        return frozenset({EVERYTHING})
    found: list[SourcePath] = []
    for field in spec.fields:
        found.extend(field.paths)
        if field.currency_path is not None:
            found.append(field.currency_path)
        found.extend(_expr_paths(field.expr))
    found.extend(_expr_paths(spec.where))
    found.extend(child.path for child in spec.children)
    return frozenset(_keys(path.segments) for path in found)


def specs_read_paths(specs: Iterable[Spec]) -> frozenset[tuple[str, ...]]:
    """Every path some of these specs read (see read_paths)."""
    paths: set[tuple[str, ...]] = set()
    for spec in specs:
        paths |= read_paths(spec)
    return frozenset(paths)


def covers(paths: frozenset[tuple[str, ...]], field: tuple[str, ...]) -> bool:
    """Whether reading `paths` maps `field`: one of them is the field, holds it, or is inside it."""
    for depth in range(len(field) + 1):
        if field[:depth] in paths:
            return True
    return any(len(path) > len(field) and path[: len(field)] == field for path in paths)


def _keys(segments: tuple[Segment, ...]) -> tuple[str, ...]:
    keys: list[str] = []
    for segment in segments:
        if not isinstance(segment, str):
            break
        keys.append(segment)
    return tuple(keys)


def _expr_paths(node: Node | None) -> list[SourcePath]:
    if node is None:
        return []
    return [n.path for n in walk(node) if isinstance(n, PathRef)]
