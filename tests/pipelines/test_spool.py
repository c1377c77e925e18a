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
