"""Source paths (`billing_details.email`, `lines.data[0].amount`) and column-wise extraction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from mappings.limits import MAX_INDEX_DIGITS, MAX_PATH_SEGMENTS

Segment = str | int
_TOKEN = re.compile(
    r"""(?P<name>[A-Za-z0-9_\-@]+)|\[(?P<index>-?\d+)\]|\[(?P<quoted>"[^"]*"|'[^']*')\]|(?P<dot>\.)"""
)


@dataclass(frozen=True)
class SourcePath:
    """A path into a provider record: dict keys and list indexes, read left to right."""

    text: str
    segments: tuple[Segment, ...]

    @property
    def root(self) -> str:
        """The top-level key the path starts at."""
        return str(self.segments[0])

    def __str__(self) -> str:
        return self.text


def parse_path(text: str) -> SourcePath | str:
    """Parse `a.b[0]["c.d"]`; returns an error message (str) when the path is malformed."""
    segments: list[Segment] = []
    pos, expect_name = 0, True
    if not text:
        return "the path is empty"
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            return f"unexpected '{text[pos]}' at position {pos + 1} of path '{_short(text)}'"
        if match.group("dot"):
            if expect_name:
                return f"path '{_short(text)}' has an empty part at position {pos + 1}"
            expect_name = True
        elif match.group("name") is not None:
            if not expect_name:
                return f"path '{_short(text)}' needs a '.' before '{match.group('name')}'"
            segments.append(match.group("name"))
            expect_name = False
        elif match.group("index") is not None:
            index = _index(text, pos, match.group("index"), bool(segments))
            if isinstance(index, str):
                return index
            segments.append(index)
            expect_name = False
        else:
            segments.append(match.group("quoted")[1:-1])
            expect_name = False
        if len(segments) > MAX_PATH_SEGMENTS:
            return (
                f"path '{_short(text)}' is too deep: no record nests that far "
                f"(limit: {MAX_PATH_SEGMENTS} path segments)"
            )
        pos = match.end()
    if expect_name:
        return f"path '{_short(text)}' ends with '.'"
    return SourcePath(text, tuple(segments))


def _index(text: str, pos: int, digits: str, after_key: bool) -> int | str:
    """A list index of a path, or the error message."""
    if not after_key:
        return f"path '{_short(text)}' must start with a key, not an index"
    if len(digits.lstrip("-")) > MAX_INDEX_DIGITS:
        return (
            f"list index at position {pos + 1} of path '{_short(text)}' is too large "
            f"(limit: {MAX_INDEX_DIGITS} index digits)"
        )
    return int(digits)


def _short(text: str) -> str:
    """A path as messages quote it: long ones cut, so that a message stays one readable line."""
    return text if len(text) <= 80 else text[:77] + "..."


def segment_offsets(text: str) -> list[int]:
    """Where each segment of a well-formed path starts in its text (for messages that point at
    the part that is wrong)."""
    offsets: list[int] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            break
        if not match.group("dot"):
            offsets.append(pos)
        pos = match.end()
    return offsets


class PathTree:
    """Every dict key a compiled spec reads, grouped under the path that holds it, so that a page
    can fetch all keys of one level with one C-level call per record."""

    def __init__(self) -> None:
        self.levels: dict[tuple[Segment, ...], list[str]] = {}

    def add(self, segments: tuple[Segment, ...]) -> None:
        """Remember a path (and so every prefix of it)."""
        for depth in range(len(segments)):
            key = segments[depth]
            if key.__class__ is not str:
                return
            keys = self.levels.setdefault(segments[:depth], [])
            if key not in keys:
                keys.append(key)

    def order(self) -> list[Level]:
        """Every level, shallow first."""
        return [
            Level(prefix, tuple(keys))
            for prefix, keys in sorted(self.levels.items(), key=lambda item: len(item[0]))
        ]


class Level:
    """The keys read under one path, and the getter that reads them from a record: built with
    the records' own key objects. A JSON parser hands the records of a page (and of the pages
    after it, while its key cache holds them) the same key objects, and a dict finds a key that
    *is* its own at once, where an equal string from the spec costs a string comparison per key
    per record. The getter is kept while a page's first key is the object seen before; any
    getter reads the same values, so a stale one is only slower."""

    __slots__ = ("prefix", "keys", "_state")

    def __init__(self, prefix: tuple[Segment, ...], keys: tuple[str, ...]) -> None:
        self.prefix = prefix
        self.keys = keys
        self._state: tuple[Any, tuple[str, ...], Any] = (None, keys, itemgetter(*keys))

    def getter(self, values: Sequence[Any]) -> tuple[tuple[str, ...], Any]:
        """The keys as `values`' first dict holds them, and an itemgetter of those keys."""
        for first in values:
            if first.__class__ is dict:
                break
        else:
            return self.keys, self._state[2]
        probe = next(iter(first), None)
        state = self._state
        if probe is None or probe is not state[0]:
            own = {key: key for key in first}
            keys = tuple([own.get(key, key) for key in self.keys])
            state = self._state = (probe, keys, itemgetter(*keys))
        return state[1], state[2]


class Extractor:
    """Pulls one column per path out of a page of records, sharing work between paths
    with a common prefix (`billing_details.email` and `billing_details.name`)."""

    __slots__ = ("_cache",)

    def __init__(self, records: list[Any], plan: list[Level] | None = None) -> None:
        self._cache: dict[tuple[Segment, ...], Sequence[Any]] = {(): records}
        if plan:
            self._prefetch(plan)

    def _prefetch(self, plan: list[Level]) -> None:
        """Read whole levels at once where every value has every key (Stripe sends every key,
        null or not); a level where that fails is read key by key when asked."""
        cache = self._cache
        for level in plan:
            prefix, keys = level.prefix, level.keys
            values = cache.get(prefix)
            if values is None:
                continue
            if not values:
                for key in keys:
                    cache[prefix + (key,)] = []
                continue
            own, getter = level.getter(values)
            try:
                if len(own) == 1:
                    cache[prefix + own] = list(map(getter, values))
                    continue
                rows = list(map(getter, values))
            except (KeyError, TypeError, AttributeError):
                continue
            for key, column in zip(keys, zip(*rows, strict=True), strict=True):
                cache[prefix + (key,)] = column  # a tuple: read-only like every column

    def column(self, segments: tuple[Segment, ...]) -> Sequence[Any]:
        """Values at `segments` for every record; None where the path does not exist."""
        found = self._cache.get(segments)
        if found is None:
            found = _step(self.column(segments[:-1]), segments[-1])
            self._cache[segments] = found
        return found


def _step(values: Sequence[Any], key: Any, _dict: Any = dict, _list: Any = list) -> list[Any]:
    if key.__class__ is int:
        if key >= 0:
            return [v[key] if v.__class__ is _list and len(v) > key else None for v in values]
        return [v[key] if v.__class__ is _list and len(v) >= -key else None for v in values]
    return [v.get(key) if v.__class__ is _dict else None for v in values]


def get_one(record: Any, segments: tuple[Segment, ...]) -> Any:
    """The value at `segments` in one record (for the per-record paths: expressions, previews)."""
    value = record
    for key in segments:
        if key.__class__ is int:
            if value.__class__ is not list or not -len(value) <= key < len(value):
                return None
            value = value[key]
        elif value.__class__ is dict:
            value = value.get(key)
        else:
            return None
    return value


def coalesce(columns: Sequence[Sequence[Any]]) -> Sequence[Any]:
    """First non-null value per row across several columns."""
    result = columns[0]
    for other in columns[1:]:
        result = [a if a is not None else b for a, b in zip(result, other, strict=True)]
    return result
