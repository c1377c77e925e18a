"""The page fetchers of each Square resource, and the cursor state they leave (see client.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.common.cursors import Boundary
from connectors.common.paging import Fetched
from connectors.common.times import iso_utc, parse_iso
from connectors.square.resources import (
    CATALOG_PAGE,
    CUSTOMERS_OVERLAP,
    CUSTOMERS_PAGE,
    HISTORY_START,
    LIST_PAGE,
    ORDER_LOCATIONS,
    ORDERS_PAGE,
    SquareResource,
)

Call = Callable[..., dict[str, Any]]
Fetcher = Callable[[Any], Fetched[Any]]
Source = tuple[Fetcher, str]
# One raw page at a cursor: its records and the next cursor (None at the end).
Lister = Callable[[Any], tuple[list[dict[str, Any]], Any]]


def millis(stamp: str) -> int:
    """RFC 3339 -> unix milliseconds (the form marks are kept and compared in)."""
    return round(parse_iso(stamp) * 1000)


def rfc3339_millis(value: int) -> str:
    """Unix milliseconds -> `2024-03-01T10:00:00.123Z`."""
    whole = datetime.fromtimestamp(value // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{value % 1000:03d}Z"


class Streams:
    """Plans the reads of one resource: its page fetchers and its final state."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self._locations: list[dict[str, Any]] | None = None

    def locations(self) -> list[dict[str, Any]]:
        """Every location of the merchant (active or not), read once per connector."""
        if self._locations is None:
            body = self._call("GET", "/v2/locations", what="locations")
            self._locations = list(body.get("locations") or [])
        return self._locations

    def plan(
        self, res: SquareResource, state: dict[str, Any], notes: list[str]
    ) -> tuple[list[Source], Callable[[], dict[str, Any]]]:
        """The (fetcher, name) sources to read in turn, and the state to save after them."""
        if res.kind == "locations":
            return [(lambda _c: Fetched(list(self.locations())), res.name)], dict
        if res.kind == "customers":
            return self._customers(res, state)
        if res.kind == "catalog":
            return self._catalog(res, state)
        return self._by_location(res, state, notes)

    # -- payments, refunds, orders: streams over groups of locations --------------------------

    def _by_location(
        self, res: SquareResource, state: dict[str, Any], notes: list[str]
    ) -> tuple[list[Source], Callable[[], dict[str, Any]]]:
        saved = state.get("locations") or {}
        ids = sorted(x["id"] for x in self.locations())
        old = {
            loc: Boundary.restore(
                (saved.get(loc) or {}).get("mark"), (saved.get(loc) or {}).get("ids")
            )
            for loc in ids
        }
        new = {loc: Boundary(b.value, set(b.ids)) for loc, b in old.items()}
        size = ORDER_LOCATIONS if res.kind == "orders" else 1
        groups = [ids[i : i + size] for i in range(0, len(ids), size)]
        notes.append(f"square {res.name}: {len(ids)} location(s) in {len(groups)} stream(s)")
        sources: list[Source] = []
        for group in groups:
            marks = [old[loc].value for loc in group]
            start = min(marks) if all(m is not None for m in marks) else None
            stream = Boundary()
            make = self._orders_page if res.kind == "orders" else self._list_page
            fetch = _skipping(make(res, group, start), old, stream)
            sources.append((_then(fetch, functools.partial(_merge, new, group, stream)), res.name))

        def final() -> dict[str, Any]:
            return {
                "locations": {
                    loc: {"mark": b.value, "ids": b.saved_ids()}
                    for loc, b in new.items()
                    if b.value is not None
                }
            }

        return sources, final

    def _list_page(self, res: SquareResource, group: list[str], start: int | None) -> Lister:
        def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {
                "location_id": group[0],
                "begin_time": HISTORY_START,
                "sort_field": "UPDATED_AT",
                "sort_order": "DESC",
                "limit": LIST_PAGE,
            }
            if start is not None:
                params["updated_at_begin_time"] = rfc3339_millis(start)
            if cursor:
                params["cursor"] = cursor
            body = self._call("GET", res.path, params=params, what=f"{res.name} {group[0]}")
            return list(body.get(res.key) or []), body.get("cursor") or None

        return fetch

    def _orders_page(self, res: SquareResource, group: list[str], start: int | None) -> Lister:
        query: dict[str, Any] = {"sort": {"sort_field": "UPDATED_AT", "sort_order": "DESC"}}
        if start is not None:
            updated = {"updated_at": {"start_at": rfc3339_millis(start)}}
            query["filter"] = {"date_time_filter": updated}

        def fetch(cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body: dict[str, Any] = {"location_ids": group, "limit": ORDERS_PAGE, "query": query}
            if cursor:
                body["cursor"] = cursor
            answer = self._call("POST", res.path, body=body, what=f"{res.name} search")
            return list(answer.get(res.key) or []), answer.get("cursor") or None

        return fetch

    # -- customers --------------------------------------------------------------------------

    def _customers(
        self, res: SquareResource, state: dict[str, Any]
    ) -> tuple[list[Source], Callable[[], dict[str, Any]]]:
        old_mark = state.get("mark")
        seen = Boundary(old_mark)
        query: dict[str, Any] = {"sort": {"field": "CREATED_AT", "order": "ASC"}}
        if old_mark is not None:
            start = rfc3339_millis(max(0, int(old_mark - CUSTOMERS_OVERLAP * 1000)))
            query["filter"] = {"updated_at": {"start_at": start}}

        full = old_mark is None
        total: dict[str, int | None] = {"count": None}

        def fetch(cursor: str | None) -> Fetched[str]:
            body: dict[str, Any] = {"limit": CUSTOMERS_PAGE, "query": query}
            if cursor:
                body["cursor"] = cursor
            elif full:
                body["count"] = True  # a full read is checked against Square's count
            answer = self._call("POST", res.path, body=body, what="customers search")
            records = list(answer.get(res.key) or [])
            for record in records:
                seen.see(millis(record["updated_at"]), record["id"])
            if isinstance(answer.get("count"), int):
                total["count"] = answer["count"]
            return Fetched(records, answer.get("cursor") or None, expected_total=total["count"])

        return [(fetch, res.name)], lambda: {"mark": seen.value}

    # -- catalog ----------------------------------------------------------------------------

    def _catalog(
        self, res: SquareResource, state: dict[str, Any]
    ) -> tuple[list[Source], Callable[[], dict[str, Any]]]:
        old_mark = state.get("mark")
        latest: dict[str, int | None] = {"mark": old_mark, "seen": None}

        def fetch(cursor: str | None) -> Fetched[str]:
            body: dict[str, Any] = {
                "object_types": [res.object_type],
                "include_deleted_objects": True,
                "limit": CATALOG_PAGE,
            }
            if old_mark is not None:
                body["begin_time"] = rfc3339_millis(old_mark)
            if cursor:
                body["cursor"] = cursor
            answer = self._call("POST", res.path, body=body, what=f"{res.name} search")
            records = list(answer.get(res.key) or [])
            if cursor is None and answer.get("latest_time"):
                latest["seen"] = millis(answer["latest_time"])
            for record in records:
                stamp = millis(record["updated_at"])
                if not answer.get("latest_time") and (latest["seen"] or 0) < stamp:
                    latest["seen"] = stamp
            gone = [
                iso_utc(millis(r["updated_at"]) / 1000) if r.get("is_deleted") else None
                for r in records
            ]
            return Fetched(records, answer.get("cursor") or None, gone if any(gone) else None)

        def final() -> dict[str, Any]:
            seen = latest["seen"]
            return {"mark": max(seen, old_mark or 0) if seen is not None else old_mark}

        return [(fetch, res.name)], final


def _skipping(
    fetch: Lister,
    old: dict[str, Boundary],
    stream: Boundary,
) -> Fetcher:
    """Records not taken by the last read of their location; every one moves the stream's mark."""

    def page(cursor: Any) -> Fetched[Any]:
        listed, next_cursor = fetch(cursor)
        records = []
        for record in listed:
            stamp = millis(record["updated_at"])
            taken = old.get(record.get("location_id") or "")
            if taken is None or not taken.taken(stamp, record["id"]):
                records.append(record)
            stream.see(stamp, record["id"])
        return Fetched(records, next_cursor)

    return page


def _then(fetch: Fetcher, done: Callable[[], None]) -> Fetcher:
    """`fetch`, calling `done` after its last page."""

    def page(cursor: Any) -> Fetched[Any]:
        fetched = fetch(cursor)
        if fetched.next_cursor is None:
            done()
        return fetched

    return page


def _merge(new: dict[str, Boundary], group: list[str], stream: Boundary) -> None:
    """A finished stream read every change of its locations up to its mark."""
    if stream.value is None:
        return
    for loc in group:
        mark = new[loc]
        if mark.value is None or stream.value > mark.value:
            new[loc] = Boundary(stream.value, set(stream.ids))
        elif stream.value == mark.value:
            mark.ids |= stream.ids
