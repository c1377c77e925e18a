from __future__ import annotations

import pytest

from connectors.base import Page
from connectors.common.paging import Fetched, chain_pages, paginate, with_final_state
from connectors.errors import FatalAPIError

ITEMS = [{"id": f"o{i}"} for i in range(7)]


def fetch_by_offset(size: int):
    cursors: list[int | None] = []

    def fetch(cursor: int | None) -> Fetched[int]:
        cursors.append(cursor)
        start = cursor or 0
        chunk = ITEMS[start : start + size]
        nxt = start + size if start + size < len(ITEMS) else None
        return Fetched(chunk, nxt)

    return fetch, cursors


def test_paginate_follows_cursors_to_the_end() -> None:
    fetch, cursors = fetch_by_offset(3)
    pages = list(paginate(fetch))
    assert [[r["id"] for r in p.records] for p in pages] == [
        ["o0", "o1", "o2"],
        ["o3", "o4", "o5"],
        ["o6"],
    ]
    assert cursors == [None, 3, 6]


def test_paginate_is_lazy() -> None:
    fetch, cursors = fetch_by_offset(3)
    first = next(paginate(fetch))
    assert len(first.records) == 3
    assert cursors == [None]


def test_a_cursor_that_does_not_move_is_an_error() -> None:
    def fetch(cursor: str | None) -> Fetched[str]:
        return Fetched([{"id": "a"}], "same")

    with pytest.raises(FatalAPIError, match="customers: the provider returned the same"):
        list(paginate(fetch, what="customers"))


def test_max_pages_stops_early() -> None:
    fetch, cursors = fetch_by_offset(2)
    assert len(list(paginate(fetch, max_pages=2))) == 2
    assert cursors == [None, 2]


def test_final_state_rides_on_the_last_page_only() -> None:
    seen: list[str] = []

    def pages():
        for i in range(3):
            seen.append(f"p{i}")
            yield Page(records=[{"id": f"p{i}"}])

    out = list(with_final_state(pages(), lambda: {"cursor": len(seen)}, ["a note"]))
    assert [p.state for p in out] == [None, None, {"cursor": 3}]
    assert out[-1].notes == ["a note"]
    assert out[0].notes == []


def test_final_state_without_records_still_yields_one_page() -> None:
    out = list(
        with_final_state(iter([Page(records=[])]), lambda: {"c": 1}, listed_all=lambda: True)
    )
    assert len(out) == 1
    assert out[0].records == []
    assert out[0].state == {"c": 1}
    assert out[0].listed_all, "an empty full listing still says so: every row is then gone"


def test_a_listing_of_everything_is_said_on_the_last_page_only() -> None:
    pages = [Page(records=[{"id": "a"}]), Page(records=[{"id": "b"}])]
    out = list(with_final_state(iter(pages), lambda: {}, listed_all=lambda: True))
    assert [page.listed_all for page in out] == [False, True]
    assert not list(with_final_state(iter([Page(records=[])]), lambda: {}))[0].listed_all


def test_a_crash_mid_read_yields_no_state() -> None:
    def pages():
        yield Page(records=[{"id": "a"}])
        yield Page(records=[{"id": "b"}])
        raise RuntimeError("connection lost")

    got: list[Page] = []
    with pytest.raises(RuntimeError):
        for page in with_final_state(pages(), lambda: {"c": 1}):
            got.append(page)
    assert [p.state for p in got] == [None]


def test_chain_pages_starts_each_source_after_the_previous() -> None:
    started: list[str] = []

    def source(name: str):
        def run():
            started.append(name)
            yield Page(records=[{"id": name}])

        return run

    it = chain_pages(source("a"), source("b"))
    next(it)
    assert started == ["a"]
    assert [p.records[0]["id"] for p in it] == ["b"]
