"""Cutting a full read into creation-time windows that can be read at the same time.

A provider that lists newest first and filters on creation time (`created[gte]`, `created[lt]`)
can be read in disjoint windows by several workers. The windows are cut at equal widths between
the oldest and newest creation times, found with a handful of one-record probes; the first and
last windows are open-ended, so the cut covers every object even where the probes are coarse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from connectors.base import Page

# Probing stops once the oldest creation time is known to within this share of the whole range.
RESOLUTION = 1 / 256


@dataclass
class Split:
    """A full read cut into parts (each picklable), and what joining their results needs."""

    parts: list[dict[str, Any]]
    # Connector-specific facts from before any part was read (e.g. an events boundary).
    token: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def oldest_bound(exists_before: Callable[[int], bool], newest: int) -> int:
    """A time at or before the oldest creation time, given `exists_before(t)`: whether anything
    was created before `t`, and `newest`, the newest creation time (unix seconds)."""
    lo, hi = 0, newest + 1  # nothing before lo; something before hi
    while hi - lo > max(1, int((newest - lo) * RESOLUTION)):
        mid = (lo + hi) // 2
        if exists_before(mid):
            hi = mid
        else:
            lo = mid
    return lo


def windows(oldest: int, newest: int, count: int) -> list[dict[str, int | None]]:
    """`count` disjoint windows {gte, lt} over [oldest, newest], widths equal, newest first;
    the newest has no `lt` and the oldest no `gte`, so together they cover all of time."""
    span = newest + 1 - oldest
    count = max(1, min(count, span))
    cuts = [oldest + span * i // count for i in range(1, count)]
    bounds: list[int | None] = [None, *cuts, None]
    parts = [{"gte": bounds[i], "lt": bounds[i + 1]} for i in range(len(bounds) - 1)]
    return parts[::-1]


@dataclass(frozen=True)
class Recipe:
    """How another process builds its own copy of a connector (picklable; holds credentials,
    so its repr shows none of its arguments)."""

    factory: Callable[..., Any]
    kwargs: dict[str, Any] = field(repr=False)

    def build(self) -> Any:
        """A new connector from the recipe."""
        return self.factory(**self.kwargs)


@runtime_checkable
class SplitsReads(Protocol):
    """A connector whose full read can be cut into parts that worker processes read at once."""

    def split(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False, parts: int
    ) -> Split | None:
        """The full read of `resource` cut into about `parts` parts; None when the read would be
        incremental or too short to be worth splitting."""
        ...

    def read_part(self, resource: str, part: Mapping[str, Any]) -> Iterator[Page]:
        """The pages of one part; the last page's state sums the part up for `join_parts`."""
        ...

    def join_parts(
        self, resource: str, split: Split, summaries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The state a serial full read would have left, from every part's summary."""
        ...

    def recipe(self, share: float = 1.0) -> Recipe:
        """How a worker process builds its own copy, with `share` of the rate budget."""
        ...
