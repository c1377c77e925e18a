from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.landing import RAW_HINTS
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


def test_sweeping_deletes_the_spools_of_ended_processes_only(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from pipelines.spool import sweep_abandoned

    mine = Spool.temporary(tmp_path, "run-")
    mine.write("raw", "charges", "t", pa.table({"n": [1]}), {})
    ended = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from pipelines.spool import "
         "Spool; print(Spool.temporary(Path(sys.argv[1]), 'run-').root)", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
    ).stdout.strip()  # fmt: skip
    old_unowned = tmp_path / "run-old"
    old_unowned.mkdir()
    week_ago = time.time() - 7 * 24 * 3600
    os.utime(old_unowned, (week_ago, week_ago))
    new_unowned = tmp_path / "run-new"
    new_unowned.mkdir()

    swept = sweep_abandoned(tmp_path)
    assert sorted(p.name for p in swept) == sorted([Path(ended).name, "run-old"])
    assert mine.root.exists() and new_unowned.exists()
    assert [t.rows for t in mine.tables("raw")] == [1]
    assert sweep_abandoned(tmp_path / "missing") == []


def test_long_texts_are_written_without_a_dictionary_and_other_columns_with_one(tmp_path):
    spool = Spool(tmp_path / "run")
    page = pa.table({"venue_id": ["v1"] * 3, "record": ['{"a": 1}', '{"a": 2}', '{"a": 3}']})
    spool.write("raw", "charges", "stripe_charges", page, RAW_HINTS)
    (spooled,) = spool.tables("raw")
    spool.finish()
    chunks = pq.read_metadata(spooled.files[0]).row_group(0)
    encodings = {
        chunks.column(i).path_in_schema: chunks.column(i).encodings
        for i in range(chunks.num_columns)
    }
    assert "RLE_DICTIONARY" in encodings["venue_id"]
    assert "RLE_DICTIONARY" not in encodings["record"], "every record differs"
    assert pq.read_table(spooled.files[0]).equals(page)
