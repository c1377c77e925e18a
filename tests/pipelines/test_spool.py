from __future__ import annotations

import pyarrow as pa

from pipelines.spool import Spool


def test_pages_come_back_in_order_and_discard_forgets_a_resource(tmp_path):
    spool = Spool(tmp_path / "run")
    for page in range(3):
        spool.write("staging", "charges", "t", pa.table({"n": [page, page]}), {})
    spool.write("staging", "refunds", "r", pa.table({"n": [9]}), {})
    (charges,) = spool.tables("staging", "charges")
    chunks = list(Spool.chunks(charges, 4))
    assert [c.column(0).to_pylist() for c in chunks] == [[0, 0, 1, 1], [2, 2]]
    assert charges.rows == 6
    spool.discard("charges")
    assert [t.table for t in spool.tables("staging")] == ["r"]
    spool.close()
    assert not (tmp_path / "run").exists()


def test_empty_pages_write_nothing(tmp_path):
    spool = Spool(tmp_path / "run")
    spool.write("raw", "charges", "t", pa.table({"n": pa.array([], pa.int64())}), {})
    assert spool.tables("raw") == []


def test_pages_buffered_across_flushes_come_back_whole_and_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr("pipelines.spool.FLUSH_BYTES", 40)  # a flush every few pages
    spool = Spool(tmp_path / "run")
    for page in range(25):
        spool.write("raw", "charges", "t", pa.table({"n": [page * 2, page * 2 + 1]}), {})
    (charges,) = spool.tables("raw")
    values = [v for chunk in Spool.chunks(charges, 7) for v in chunk.column(0).to_pylist()]
    assert values == list(range(50))
    assert charges.rows == 50


def test_rows_written_after_adopting_or_reading_a_table_are_kept(tmp_path):
    worker = Spool(tmp_path / "worker")
    worker.write("staging", "charges", "t", pa.table({"n": [1, 2]}), {})
    (adopted,) = worker.finish()
    spool = Spool(tmp_path / "run")
    spool.adopt(adopted)
    spool.write("staging", "charges", "t", pa.table({"n": [3]}), {})
    (table,) = spool.tables("staging")
    spool.write("staging", "charges", "t", pa.table({"n": [4]}), {})
    (table,) = spool.tables("staging")
    values = sorted(v for chunk in Spool.chunks(table, 10) for v in chunk.column(0).to_pylist())
    assert values == [1, 2, 3, 4] and table.rows == 4
