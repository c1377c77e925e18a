"""Reading a page's columns level by level gives what reading each record alone gives."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mappings.paths import Extractor, Level, PathTree, get_one, parse_path

PATHS = ["id", "a.b", "a.c", "d.e", "d.f.g", "h"]


def _plan(paths: list[str]) -> list[Any]:
    tree = PathTree()
    for text in paths:
        path = parse_path(text)
        assert not isinstance(path, str)
        tree.add(path.segments)
    return tree.order()


def _columns(records: list[Any]) -> dict[str, list[Any]]:
    extractor = Extractor(records, _plan(PATHS))
    found = {}
    for text in PATHS:
        path = parse_path(text)
        assert not isinstance(path, str)
        found[text] = list(extractor.column(path.segments))
    return found


def _one_by_one(records: list[Any]) -> dict[str, list[Any]]:
    found = {}
    for text in PATHS:
        path = parse_path(text)
        assert not isinstance(path, str)
        found[text] = [get_one(record, path.segments) for record in records]
    return found


WHOLE = {"id": "r1", "a": {"b": 1, "c": "x"}, "d": {"e": True, "f": {"g": 2.5}}, "h": None}
ODD_SHAPES = [
    {"id": "r2", "a": None, "d": None, "h": 1},
    {"id": "r3", "a": {"b": 2}, "d": {"f": None}},
    {"id": "r4", "a": "text", "d": [1, 2], "h": [3]},
    {"a": {"b": 3, "c": "y", "extra": 0}, "d": {"e": False, "f": "flat"}},
    {"id": "r6", "a": {"c": "z", "b": 4}, "d": {"e": None, "f": {"g": None}}, "h": {}},
]


@pytest.mark.parametrize(
    "records",
    [
        [WHOLE, dict(WHOLE, id="r7")],
        [WHOLE, *ODD_SHAPES],
        [*ODD_SHAPES, WHOLE],
        [WHOLE, dict(WHOLE, d={"e": 1, "f": None}), dict(WHOLE, d={"e": 2, "f": [{"g": 1}]})],
        [ODD_SHAPES[0], ODD_SHAPES[0]],
        [],
    ],
    ids=[
        "every-key",
        "odd-shapes-after",
        "odd-shapes-first",
        "one-key-level-not-an-object",
        "no-dicts-below-root",
        "empty",
    ],
)
def test_levels_read_whole_equal_records_read_alone(records):
    parsed = orjson.loads(orjson.dumps(records))  # keys shared between records, as parsed
    assert _columns(parsed) == _one_by_one(parsed)


def test_a_page_is_read_with_the_records_own_key_objects():
    wanted = ("".join(["curr", "ency"]), "".join(["i", "d"]))
    level = Level((), wanted)
    for body in (b'[{"id": 1, "currency": "usd"}]', b'[null, {"currency": "eur", "id": 2}]'):
        records = orjson.loads(body)
        first = records[-1]
        assert not any(key is mine for key in wanted for mine in first)
        own, getter = level.getter(records)
        assert own == wanted
        assert all(any(key is mine for mine in first) for key in own)
        assert getter(first) == (first["currency"], first["id"])
