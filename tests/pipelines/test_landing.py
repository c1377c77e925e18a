from __future__ import annotations

from datetime import UTC, datetime

import orjson

from pipelines.landing import RAW_SCHEMA, raw_page

CONTEXT = {
    "tenant_id": "t1",
    "venue_id": "v1",
    "integration_id": "int_1",
    "synced_at": datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
}


def test_a_raw_page_keeps_each_record_as_sent_with_its_keys_and_deletion():
    records = [{"id": "ch_1", "amount": 100, "note": "café ☕"}, {"id": "ch_2", "deleted": True}]
    table = raw_page(records, ["ch_1", "ch_2"], [None, "2026-05-01T11:00:00+00:00"], CONTEXT)
    assert table.schema == RAW_SCHEMA
    rows = table.to_pylist()
    assert [orjson.loads(r["record"]) for r in rows] == records
    assert {r["venue_id"] for r in rows} == {"v1"} and {r["tenant_id"] for r in rows} == {"t1"}
    assert [r["id"] for r in rows] == ["ch_1", "ch_2"]
    assert rows[0]["_synced_at"] == CONTEXT["synced_at"]
    assert rows[0]["_deleted_at"] is None
    assert rows[1]["_deleted_at"] == datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


def test_a_raw_page_without_deletions_has_no_deletion_marks():
    table = raw_page([{"id": "a"}], ["a"], None, CONTEXT)
    assert table.column("_deleted_at").null_count == 1
