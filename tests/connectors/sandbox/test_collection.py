"""Collection: newest-first pages with Stripe-style cursors and created bounds."""

from __future__ import annotations

import orjson
import pytest

from connectors.sandbox import Collection, CreatedRange, UnknownCursor


def _ids(blobs: list[bytes]) -> list[str]:
    return [orjson.loads(b)["id"] for b in blobs]


@pytest.fixture
def items() -> Collection:
    c = Collection(attr_names=("kind",))
    # created 100..109, plus a tie at 105
    c.load(
        {"id": f"o{i}", "created": 100 + i, "kind": "odd" if i % 2 else "even"} for i in range(10)
    )
    c.put({"id": "o5b", "created": 105, "kind": "odd"})
    return c


def test_pages_come_newest_first_with_ties_by_id_descending(items: Collection) -> None:
    blobs, more = items.page(5)
    assert _ids(blobs) == ["o9", "o8", "o7", "o6", "o5b"]
    assert more is True


def test_starting_after_walks_to_the_last_page(items: Collection) -> None:
    seen, cursor, more = [], None, True
    while more:
        blobs, more = items.page(4, starting_after=cursor)
        seen += _ids(blobs)
        cursor = seen[-1]
    assert seen == ["o9", "o8", "o7", "o6", "o5b", "o5", "o4", "o3", "o2", "o1", "o0"]


def test_last_page_exactly_full_says_no_more(items: Collection) -> None:
    blobs, more = items.page(11)
    assert len(blobs) == 11
    assert more is False


def test_ending_before_gives_the_newer_neighbours_newest_first(items: Collection) -> None:
    blobs, more = items.page(2, ending_before="o5")
    assert _ids(blobs) == ["o6", "o5b"]
    assert more is True
    blobs, more = items.page(5, ending_before="o7")
    assert _ids(blobs) == ["o9", "o8"]
    assert more is False


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"gte": 107}, ["o9", "o8", "o7"]),
        ({"gt": 107}, ["o9", "o8"]),
        ({"lt": 102}, ["o1", "o0"]),
        ({"lte": 101, "gte": 101}, ["o1"]),
        ({"eq": 105}, ["o5b", "o5"]),
        ({"gt": 200}, []),
    ],
)
def test_created_bounds(items: Collection, bounds: dict[str, int], expected: list[str]) -> None:
    blobs, more = items.page(100, created=CreatedRange.of(**bounds))
    assert _ids(blobs) == expected
    assert more is False


def test_where_filters_on_indexed_attributes(items: Collection) -> None:
    blobs, more = items.page(3, where=lambda a: a["kind"] == "even")
    assert _ids(blobs) == ["o8", "o6", "o4"]
    assert more is True


def test_unknown_cursor_raises(items: Collection) -> None:
    with pytest.raises(UnknownCursor):
        items.page(3, starting_after="nope")


def test_put_moves_an_object_whose_created_changed_and_delete_removes_it(items: Collection) -> None:
    items.put({"id": "o0", "created": 500, "kind": "even"})
    assert _ids(items.page(1)[0]) == ["o0"]
    assert items.delete("o0") == {"id": "o0", "created": 500, "kind": "even"}
    assert "o0" not in items
    assert _ids(items.page(1)[0]) == ["o9"]
    assert items.delete("o0") is None


def test_get_returns_a_copy(items: Collection) -> None:
    copy = items.get("o3")
    assert copy is not None
    copy["kind"] = "changed"
    assert items.get("o3") == {"id": "o3", "created": 103, "kind": "odd"}


def test_offset_windows_and_counts(items: Collection) -> None:
    assert _ids(items.window(2, 3)) == ["o7", "o6", "o5b"]
    assert _ids(items.window(0, 2, newest_first=False)) == ["o0", "o1"]
    odd = lambda a: a["kind"] == "odd"  # noqa: E731
    assert _ids(items.window(1, 2, where=odd)) == ["o7", "o5b"]
    assert items.count() == 11
    assert items.count(CreatedRange.of(gte=105)) == 6
    assert items.count(where=odd) == 6


def test_string_order_field_and_exclusive_bounds() -> None:
    c = Collection(order_field="updated_at")
    c.load({"id": f"p{i}", "updated_at": f"2026-01-0{i}T00:00:00Z"} for i in range(1, 6))
    blobs, _ = c.page(10, created=CreatedRange(gt="2026-01-02T00:00:00Z"))
    assert _ids(blobs) == ["p5", "p4", "p3"]
    blobs, _ = c.page(10, created=CreatedRange(lt="2026-01-02T00:00:00Z"))
    assert _ids(blobs) == ["p1"]
