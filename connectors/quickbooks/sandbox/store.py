"""One entity type's objects in the sandbox, ordered by LastUpdatedTime, served by query."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from typing import Any

import orjson

from connectors.common.times import parse_iso
from connectors.quickbooks.sandbox.query import Condition, Query


def updated_of(obj: dict[str, Any]) -> int:
    """An object's LastUpdatedTime in unix seconds."""
    return int(parse_iso(obj["MetaData"]["LastUpdatedTime"]))


class EntityStore:
    """Objects of one entity as JSON blobs, with (LastUpdatedTime, Id) kept sorted."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._updated: dict[str, int] = {}
        self._inactive: set[str] = set()  # Ids whose `Active` is false
        self._keys: list[tuple[int, int, str]] = []

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._blobs

    def load(self, objects: Iterable[dict[str, Any]]) -> None:
        """Add many objects, sorting once."""
        for obj in objects:
            oid, updated = obj["Id"], updated_of(obj)
            self._blobs[oid] = orjson.dumps(obj)
            self._updated[oid] = updated
            self._note_state(oid, obj)
            self._keys.append((updated, _num(oid), oid))
        self._keys.sort()

    def put(self, obj: dict[str, Any]) -> None:
        """Insert or replace one object."""
        oid, updated = obj["Id"], updated_of(obj)
        if oid in self._updated:
            self._drop_key(oid)
        self._blobs[oid] = orjson.dumps(obj)
        self._updated[oid] = updated
        self._note_state(oid, obj)
        insort(self._keys, (updated, _num(oid), oid))

    def get(self, object_id: str) -> dict[str, Any] | None:
        """A copy of one object, or None."""
        blob = self._blobs.get(object_id)
        return None if blob is None else orjson.loads(blob)

    def blob(self, object_id: str) -> bytes | None:
        """One object's JSON."""
        return self._blobs.get(object_id)

    def delete(self, object_id: str) -> dict[str, Any] | None:
        """Remove one object; it as it was, or None."""
        if object_id not in self._blobs:
            return None
        self._drop_key(object_id)
        self._updated.pop(object_id)
        self._inactive.discard(object_id)
        return orjson.loads(self._blobs.pop(object_id))

    def ids(self) -> list[str]:
        """Every Id, most recently updated first."""
        return [oid for _, _, oid in reversed(self._keys)]

    def changed_since(self, since: float) -> list[tuple[int, str]]:
        """(LastUpdatedTime, Id) of objects updated at or after `since`, oldest first."""
        lo = bisect_left(self._keys, since, key=_first)
        return [(updated, oid) for updated, _, oid in self._keys[lo:]]

    def count(self, query: Query) -> int:
        """How many objects match the query's conditions."""
        lo, hi = self._bounds(query.conditions)
        rest = [c for c in query.conditions if c.field != "updated"]
        if not rest:
            return hi - lo
        return sum(1 for i in range(lo, hi) if self._matches(self._keys[i][2], rest))

    def select(self, query: Query) -> list[bytes]:
        """The page of blobs the query asks for (STARTPOSITION is 1-based)."""
        lo, hi = self._bounds(query.conditions)
        rest = [c for c in query.conditions if c.field != "updated"]
        offset, size = query.start - 1, query.max_results
        if query.order in ("id", "created") or rest:
            picked = [self._keys[i] for i in range(lo, hi)]
            picked = [k for k in picked if self._matches(k[2], rest)]
            if query.order == "id":
                picked.sort(key=lambda k: k[1])
            if query.order == "created":
                picked.sort(key=lambda k: (self._created_of(k[2]), k[1]))
            if query.descending:
                picked.reverse()
            return [self._blobs[k[2]] for k in picked[offset : offset + size]]
        if query.descending:
            top = hi - 1 - offset
            positions = range(top, max(lo, top - size + 1) - 1, -1) if top >= lo else range(0)
        else:
            positions = range(lo + offset, min(hi, lo + offset + size))
        return [self._blobs[self._keys[i][2]] for i in positions]

    def _bounds(self, conditions: list[Condition]) -> tuple[int, int]:
        lo, hi = 0, len(self._keys)
        for c in conditions:
            if c.field != "updated":
                continue
            if c.op == ">":
                lo = max(lo, bisect_right(self._keys, c.value, key=_first))
            elif c.op == ">=":
                lo = max(lo, bisect_left(self._keys, c.value, key=_first))
            elif c.op == "<":
                hi = min(hi, bisect_left(self._keys, c.value, key=_first))
            elif c.op == "<=":
                hi = min(hi, bisect_right(self._keys, c.value, key=_first))
            else:
                lo = max(lo, bisect_left(self._keys, c.value, key=_first))
                hi = min(hi, bisect_right(self._keys, c.value, key=_first))
        return lo, max(lo, hi)

    def _note_state(self, object_id: str, obj: dict[str, Any]) -> None:
        if obj.get("Active") is False:
            self._inactive.add(object_id)
        else:
            self._inactive.discard(object_id)

    def _matches(self, object_id: str, conditions: list[Condition]) -> bool:
        obj: dict[str, Any] | None = None
        for c in conditions:
            if c.field == "id":
                if c.op == "in":
                    assert isinstance(c.value, frozenset)
                    if object_id not in c.value:
                        return False
                elif object_id != c.value:
                    return False
                continue
            if c.field == "active":
                assert isinstance(c.value, frozenset)
                if (object_id not in self._inactive) not in c.value:
                    return False
                continue
            assert not isinstance(c.value, frozenset)  # only `active` takes a set
            obj = obj or orjson.loads(self._blobs[object_id])
            value = parse_iso(obj["MetaData"]["CreateTime"])
            if not _compare(value, c.op, float(c.value)):
                return False
        return True

    def _created_of(self, object_id: str) -> float:
        return parse_iso(orjson.loads(self._blobs[object_id])["MetaData"]["CreateTime"])

    def _drop_key(self, object_id: str) -> None:
        key = (self._updated[object_id], _num(object_id), object_id)
        del self._keys[bisect_left(self._keys, key)]


def _compare(left: float, op: str, right: float) -> bool:
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "=": left == right,
    }[op]


def _num(object_id: str) -> int:
    return int(object_id) if object_id.isdigit() else 0


def _first(key: tuple[int, int, str]) -> int:
    return key[0]
