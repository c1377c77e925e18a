from __future__ import annotations

from connectors.common.cursors import Boundary


def test_see_moves_the_mark_up_and_collects_ids_at_it() -> None:
    b = Boundary()
    for value, oid in [(5, "a"), (7, "b"), (7, "c"), (6, "d"), (None, "e")]:
        b.see(value, oid)
    assert b.value == 7
    assert b.saved_ids() == ["b", "c"]


def test_taken_only_at_the_mark_and_only_for_its_ids() -> None:
    b = Boundary.restore(7, ["b", "c"])
    assert b.taken(7, "b")
    assert not b.taken(7, "x")  # same second, not seen before: a new object
    assert not b.taken(8, "b")  # a later value is news
    assert not b.taken(6, "b")


def test_restore_without_a_mark_has_no_ids() -> None:
    b = Boundary.restore(None, ["stray"])
    assert b.ids == set()
    assert not b.taken(None, "stray")
