"""Arrow IPC files for one run, gathered page by page and read back as batches for dlt.

Pages are buffered and written a few megabytes at a time: a write releases the GIL, and taking it
back from the prefetch thread after every small page cost more than the writing itself.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

# Buffered pages are written once they hold this many bytes (or when the table is closed).
FLUSH_BYTES = 8 * 1024 * 1024


@dataclass
class SpooledTable:
    """One table's pages of one run: where they are and how dlt should load them."""

    dataset: str
    resource: str
    table: str
    hints: dict[str, Any]
    path: Path
    rows: int = 0
    _writer: pa.ipc.RecordBatchFileWriter | None = field(default=None, repr=False)
    _schema: pa.Schema | None = field(default=None, repr=False)
    _pending: list[pa.Table] = field(default_factory=list, repr=False)
    _pending_bytes: int = field(default=0, repr=False)

    def flush(self) -> None:
        """Write the buffered pages as one batch."""
        if self._pending and self._writer is not None:
            self._writer.write_table(pa.concat_tables(self._pending))
        self._pending.clear()
        self._pending_bytes = 0


class Spool:
    """Everything a run extracted, grouped by dataset, so that each dataset loads on its own."""

    @classmethod
    def temporary(cls, parent: Path, prefix: str) -> Spool:
        """A spool in a new folder under `parent` (created when missing)."""
        parent.mkdir(parents=True, exist_ok=True)
        return cls(Path(tempfile.mkdtemp(prefix=prefix, dir=parent)))

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._tables: dict[tuple[str, str, str], SpooledTable] = {}

    def write(
        self, dataset: str, resource: str, table: str, data: pa.Table, hints: dict[str, Any]
    ) -> None:
        """Append one page of rows for `table` (same schema every page)."""
        if data.num_rows == 0:
            return
        key = (dataset, resource, table)
        spooled = self._tables.get(key)
        if spooled is None:
            path = self.root / f"{dataset}.{resource}.{table}.arrow"
            spooled = SpooledTable(dataset, resource, table, hints, path)
            spooled._schema = data.schema
            spooled._writer = pa.ipc.new_file(path, data.schema)
            self._tables[key] = spooled
        if data.schema != spooled._schema:
            data = data.cast(spooled._schema)
        spooled._pending.append(data)
        spooled._pending_bytes += data.nbytes
        spooled.rows += data.num_rows
        if spooled._pending_bytes >= FLUSH_BYTES:
            spooled.flush()

    def tables(self, dataset: str, resource: str | None = None) -> list[SpooledTable]:
        """The spooled tables of a dataset (and resource), writers closed."""
        found = []
        for spooled in self._tables.values():
            if spooled.dataset == dataset and resource in (None, spooled.resource):
                self._close(spooled)
                found.append(spooled)
        return found

    @staticmethod
    def chunks(spooled: SpooledTable, rows: int) -> Iterator[pa.Table]:
        """Read a spooled table back in slices of about `rows` rows (memory-mapped)."""
        with pa.memory_map(str(spooled.path)) as source:
            table = pa.ipc.open_file(source).read_all()
            for offset in range(0, table.num_rows, rows):
                yield table.slice(offset, rows).combine_chunks()

    def discard(self, resource: str) -> None:
        """Forget what a failed resource spooled: nothing of it loads."""
        for key in [k for k in self._tables if k[1] == resource]:
            spooled = self._tables.pop(key)
            self._close(spooled)
            spooled.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Delete the run's files."""
        for spooled in self._tables.values():
            self._close(spooled)
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _close(spooled: SpooledTable) -> None:
        if spooled._writer is not None:
            spooled.flush()
            spooled._writer.close()
            spooled._writer = None
