"""Parquet files for one run, gathered page by page, which dlt imports as they are.

The files are what dlt's own extract step would write (Parquet, snappy, the page's Arrow schema),
so the loaders hand them to dlt as load-package files instead of reading them back into Arrow
tables for dlt to write again. Pages are buffered and written a few megabytes at a time: a write
releases the GIL, and taking it back after every small page cost more than the writing itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.layout import COMPRESSED_HINT

# Buffered pages are written once they hold this many bytes (or when the table is closed).
FLUSH_BYTES = 8 * 1024 * 1024
# The file naming the process a temporary spool belongs to.
OWNER_FILE = "owner"
# A folder without an owner file (left by an older build) is swept once it is this old.
UNOWNED_AGE_SECONDS = 24 * 3600
_PROC = Path("/proc")


@dataclass
class SpooledTable:
    """One table's pages of one run: where they are and how dlt should load them."""

    dataset: str
    resource: str
    table: str
    hints: dict[str, Any]
    path: Path
    rows: int = 0
    # files other spools wrote for this table (parts read by worker processes), read after `path`
    adopted: list[Path] = field(default_factory=list)
    _writer: pq.ParquetWriter | None = field(default=None, repr=False)
    _schema: pa.Schema | None = field(default=None, repr=False)
    _pending: list[pa.Table] = field(default_factory=list, repr=False)
    _pending_bytes: int = field(default=0, repr=False)
    _row_bytes: int = field(default=0, repr=False)

    @property
    def files(self) -> list[Path]:
        """Every file holding this table's rows."""
        own = [self.path] if self.path.exists() else []
        return own + self.adopted

    @property
    def schema(self) -> pa.Schema | None:
        """The Arrow schema of the table's files."""
        return self._schema

    def flush(self) -> None:
        """Write the buffered pages as one row group."""
        if self._pending and self._writer is not None:
            self._writer.write_table(pa.concat_tables(self._pending))
        self._pending.clear()
        self._pending_bytes = 0


class Spool:
    """Everything a run extracted, grouped by dataset, so that each dataset loads on its own."""

    @classmethod
    def temporary(cls, parent: Path, prefix: str) -> Spool:
        """A spool in a new folder under `parent` (created when missing), marked with this
        process so that `sweep_abandoned` can tell when its owner is gone."""
        parent.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        (root / OWNER_FILE).write_text(_process_mark(os.getpid()) or "")
        return cls(root)

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
            path = self.root / f"{dataset}.{resource}.{table}.parquet"
            spooled = SpooledTable(dataset, resource, table, hints, path)
            spooled._schema = data.schema
            self._tables[key] = spooled
        if spooled._writer is None:
            self._open(spooled, data)
        if data.schema != spooled._schema:
            data = data.cast(spooled._schema)
        spooled._pending.append(data)
        spooled._pending_bytes += data.num_rows * spooled._row_bytes
        spooled.rows += data.num_rows
        if spooled._pending_bytes >= FLUSH_BYTES:
            spooled.flush()

    @staticmethod
    def _open(spooled: SpooledTable, data: pa.Table) -> None:
        """Start the table's own file; one already written (closed) is kept as adopted."""
        if spooled.path.exists():
            spooled.adopted.append(spooled.path)
            spooled.path = spooled.path.with_suffix(f".{len(spooled.adopted)}.parquet")
        # the first page's width stands for every page's: Table.nbytes walks every buffer
        # of every column (0.5 s of reading 200,000 charges when asked for each page)
        spooled._row_bytes = max(1, data.nbytes // data.num_rows)
        schema = spooled._schema or data.schema
        # long texts (raw records) are all different: a dictionary of them is built only to be
        # dropped, which was 0.4 ms of each page's 0.66 ms of writing raw records
        long_texts = {
            name
            for name, column in spooled.hints.get("columns", {}).items()
            if column.get(COMPRESSED_HINT)
        }
        spooled._writer = pq.ParquetWriter(
            spooled.path,
            schema,
            compression="snappy",
            use_dictionary=[n for n in schema.names if n not in long_texts] if long_texts else True,
        )

    def adopt(self, other: SpooledTable) -> None:
        """Take in a table another spool wrote (closed): its files load with this spool's."""
        key = (other.dataset, other.resource, other.table)
        spooled = self._tables.get(key)
        if spooled is None:
            path = self.root / f"{other.dataset}.{other.resource}.{other.table}.parquet"
            spooled = SpooledTable(other.dataset, other.resource, other.table, other.hints, path)
            spooled._schema = other.schema
            self._tables[key] = spooled
        spooled.adopted += other.files
        spooled.rows += other.rows

    def finish(self) -> list[SpooledTable]:
        """Every table, writers closed (for a worker handing its files to the run's spool)."""
        for spooled in self._tables.values():
            self._close(spooled)
        return list(self._tables.values())

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
        """Read a spooled table back in slices of about `rows` rows (the loaders import the files
        instead; this is for checking what was spooled)."""
        for path in spooled.files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield pa.Table.from_batches([batch])

    def discard(self, resource: str) -> None:
        """Forget what a failed resource spooled: nothing of it loads."""
        self._forget([k for k in self._tables if k[1] == resource])

    def drop_table(self, dataset: str, table: str) -> None:
        """Forget one table's rows (loaded some other way): they are not loaded again."""
        self._forget([k for k in self._tables if (k[0], k[2]) == (dataset, table)])

    def _forget(self, keys: list[tuple[str, str, str]]) -> None:
        for key in keys:
            spooled = self._tables.pop(key)
            self._close(spooled)
            for path in spooled.files:
                path.unlink(missing_ok=True)

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


def sweep_abandoned(parent: Path, min_age_seconds: float = 0) -> list[Path]:
    """Delete the temporary spools under `parent` whose process has ended (a run that was
    killed leaves its files behind) and that are at least `min_age_seconds` old; those of
    running processes stay. Returns what went."""
    if not parent.is_dir():
        return []
    swept = []
    for root in parent.iterdir():
        if root.is_dir() and _abandoned(root, min_age_seconds):
            shutil.rmtree(root, ignore_errors=True)
            swept.append(root)
    return swept


def _abandoned(root: Path, min_age_seconds: float) -> bool:
    try:
        age = time.time() - root.stat().st_mtime
        mark = (root / OWNER_FILE).read_text()
    except FileNotFoundError:  # unowned, or its owner closed it meanwhile
        return root.exists() and age > max(min_age_seconds, UNOWNED_AGE_SECONDS)
    pid = mark.split(" ", 1)[0]
    ended = not pid.isdigit() or _process_mark(int(pid)) != mark
    return ended and age >= min_age_seconds


def _process_mark(pid: int) -> str | None:
    """The mark of a running process, its pid and start time (None once it has ended): a new
    process that reuses the pid has another start time. Without /proc, the pid alone."""
    if not _PROC.is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return str(pid)
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return f"{pid} {stat.rsplit(')', 1)[1].split()[19]}"
