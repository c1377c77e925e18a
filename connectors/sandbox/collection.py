"""Objects of one resource, kept sorted by creation time (or another order field) with an id index, served newest first.

Each object is stored serialized (orjson bytes), so a page is a join of stored blobs and 200,000
objects cost their JSON size in memory rather than a tree of Python objects. Order is
(created, id) ascending inside; readers walk it backwards, so ties on `created` come out by id
descending, the same way every time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

Attrs = Mapping[str, Any]


@dataclass(frozen=True)
class CreatedRange:
    """Bounds on the order field (`created` unless the collection says otherwise), each optional.

    Works for any comparable values: unix seconds, or RFC 3339 strings of one format.
    """

    gte: Any = None
    lte: Any = None
    gt: Any = None
    lt: Any = None

    @classmethod
    def of(
        cls, gt: Any = None, gte: Any = None, lt: Any = None, lte: Any = None, eq: Any = None
    ) -> CreatedRange:
        """From gt/gte/lt/lte bounds and an exact value (which sets both gte and lte)."""
        if eq is not None:
            gte = eq if gte is None else max(gte, eq)
            lte = eq if lte is None else min(lte, eq)
        return cls(gte=gte, lte=lte, gt=gt, lt=lt)


class UnknownCursor(KeyError):
    """A paging cursor names an object that this collection does not hold."""


class Collection:
    """Sorted, indexed storage for one resource's objects."""

    def __init__(self, attr_names: Iterable[str] = (), order_field: str = "created") -> None:
        self.attr_names = tuple(attr_names)
        self.order_field = order_field
        self._keys: list[tuple[Any, str]] = []
        self._blobs: dict[str, bytes] = {}
        self._created: dict[str, int] = {}
        self._attrs: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._blobs

    def load(self, objects: Iterable[dict[str, Any]]) -> None:
        """Add many new objects at once (one sort at the end): the fast path for seeding."""
        order = self.order_field
        for obj in objects:
            oid = obj["id"]
            self._blobs[oid] = _exact(orjson.dumps(obj))
            self._created[oid] = obj[order]
            self._keys.append((obj[order], oid))
            if self.attr_names:
                self._attrs[oid] = {name: obj.get(name) for name in self.attr_names}
        self._keys.sort()

    def put(self, obj: dict[str, Any]) -> None:
        """Insert or replace one object (keyed by its `id`, ordered by its order field)."""
        oid, created = obj["id"], obj[self.order_field]
        old = self._created.get(oid)
        if old is not None and old != created:
            self._remove_key(old, oid)
        if old is None or old != created:
            insort(self._keys, (created, oid))
        self._blobs[oid] = _exact(orjson.dumps(obj))
        self._created[oid] = created
        if self.attr_names:
            self._attrs[oid] = {name: obj.get(name) for name in self.attr_names}

    def get(self, object_id: str) -> dict[str, Any] | None:
        """A fresh copy of one object, or None."""
        blob = self._blobs.get(object_id)
        return None if blob is None else orjson.loads(blob)

    def blob(self, object_id: str) -> bytes | None:
        """One object's stored JSON."""
        return self._blobs.get(object_id)

    def stored(self, object_id: str) -> bytes:
        """The stored JSON of an object known to exist (one of `ids()`)."""
        return self._blobs[object_id]

    def delete(self, object_id: str) -> dict[str, Any] | None:
        """Remove one object; returns it as it was, or None when absent."""
        blob = self._blobs.pop(object_id, None)
        if blob is None:
            return None
        self._remove_key(self._created.pop(object_id), object_id)
        self._attrs.pop(object_id, None)
        return orjson.loads(blob)

    def ids(self) -> Iterator[str]:
        """Every id, newest first."""
        return (oid for _, oid in reversed(self._keys))

    def dump(self) -> bytes:
        """All objects as one JSON array, newest first."""
        return b"[" + b",".join(self._blobs[oid] for oid in self.ids()) + b"]"

    def page(
        self,
        limit: int,
        *,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: CreatedRange | None = None,
        where: Callable[[Attrs], bool] | None = None,
    ) -> tuple[list[bytes], bool]:
        """Up to `limit` blobs newest first and whether more lie beyond, Stripe-style cursors."""
        lo, hi = self._bounds(created)
        if ending_before is not None:
            start = self._index(ending_before) + 1
            picked = self._walk(range(max(start, lo), hi), limit + 1, where)
            more = len(picked) > limit
            picked = picked[:limit]
            picked.reverse()
        else:
            end = hi if starting_after is None else min(hi, self._index(starting_after))
            picked = self._walk(range(end - 1, lo - 1, -1), limit + 1, where)
            more = len(picked) > limit
            picked = picked[:limit]
        return [self._blobs[oid] for oid in picked], more

    def _walk(
        self, positions: range, want: int, where: Callable[[Attrs], bool] | None
    ) -> list[str]:
        keys = self._keys
        if where is None:
            if positions.step > 0:
                stop = min(positions.stop, positions.start + want)
                return [keys[i][1] for i in range(positions.start, stop)]
            stop = max(positions.stop, positions.start - want)
            return [keys[i][1] for i in range(positions.start, stop, -1)]
        found: list[str] = []
        for i in positions:
            oid = keys[i][1]
            if where(self._attrs.get(oid, {})):
                found.append(oid)
                if len(found) >= want:
                    break
        return found

    def count(
        self, created: CreatedRange | None = None, where: Callable[[Attrs], bool] | None = None
    ) -> int:
        """How many objects match (what a provider reports as total_items / count(*))."""
        lo, hi = self._bounds(created)
        if where is None:
            return hi - lo
        return sum(1 for i in range(lo, hi) if where(self._attrs.get(self._keys[i][1], {})))

    def window(
        self,
        offset: int,
        count: int,
        *,
        created: CreatedRange | None = None,
        where: Callable[[Attrs], bool] | None = None,
        newest_first: bool = True,
    ) -> list[bytes]:
        """`count` blobs after skipping `offset` matches: offset paging (Mailchimp, QuickBooks)."""
        lo, hi = self._bounds(created)
        positions = range(hi - 1, lo - 1, -1) if newest_first else range(lo, hi)
        if where is None:
            picked = [self._keys[i][1] for i in positions[offset : offset + count]]
        else:
            picked = self._walk(positions, offset + count, where)[offset:]
        return [self._blobs[oid] for oid in picked]

    def _bounds(self, created: CreatedRange | None) -> tuple[int, int]:
        keys, n = self._keys, len(self._keys)
        if created is None:
            return 0, n
        lo, hi = 0, n
        if created.gte is not None:
            lo = max(lo, bisect_left(keys, created.gte, key=_first))
        if created.gt is not None:
            lo = max(lo, bisect_right(keys, created.gt, key=_first))
        if created.lte is not None:
            hi = min(hi, bisect_right(keys, created.lte, key=_first))
        if created.lt is not None:
            hi = min(hi, bisect_left(keys, created.lt, key=_first))
        return lo, max(lo, hi)

    def _index(self, object_id: str) -> int:
        created = self._created.get(object_id)
        if created is None:
            raise UnknownCursor(object_id)
        return bisect_left(self._keys, (created, object_id))

    def _remove_key(self, created: int, object_id: str) -> None:
        i = bisect_left(self._keys, (created, object_id))
        del self._keys[i]


def _exact(blob: bytes) -> bytes:
    # orjson's output buffer keeps its initial capacity (16 KiB and up); a copy is exact-sized,
    # which cuts memory per stored object several times over
    return memoryview(blob).tobytes()


def _first(key: tuple[Any, str]) -> Any:
    return key[0]
