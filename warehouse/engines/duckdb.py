"""A DuckDB warehouse: one file on this machine, one writer at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from warehouse.destinations import Warehouse
from warehouse.errors import WarehouseError
from warehouse.locks import exclusive_file_lock


class DuckDBWarehouse(Warehouse):
    """`duckdb:///relative/path` or `duckdb:////absolute/path`, as SQLAlchemy spells sqlite URLs."""

    kind = "duckdb"
    placeholder = "?"

    @property
    def duckdb_path(self) -> Path:
        # made absolute, so that dlt (which resolves a relative path against its own folders)
        # opens the same file as intsync, and the database the two share is one
        return Path(self.url.split(":///", 1)[1]).absolute()

    def exists(self) -> bool:
        return self.duckdb_path.exists()

    @contextmanager
    def write_lock(self, scope: str | None = None) -> Iterator[None]:
        """Every load waits for the one before, on this machine, whatever its scope (a file
        lock beside the warehouse): DuckDB allows one writer."""
        lock = self.duckdb_path.with_name(self.duckdb_path.name + ".lock")
        with exclusive_file_lock(lock):
            yield

    @contextmanager
    def writer(self, scope: str | None = None) -> Iterator[Any]:
        """The write lock, with a connection open for the block, closed at the end.

        The block's loads open connections of their own to the same path, which join the
        database this one holds open (DuckDB keeps one per file and process). dlt otherwise
        opens the DuckDB file for each load job and closes it after, and every last close
        checkpoints the database. On a first sync of 200,000 charges (bench/sync.py,
        best of three) that took 21.5 s against 19.0 s shared, with floors of 10.2 s and 9.1 s
        in the same runs: within this machine's noise, though never slower."""
        import duckdb  # on first use: commands that never open the warehouse start faster

        with self.write_lock(scope):
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                con = duckdb.connect(str(self.duckdb_path))
            except duckdb.Error as exc:  # held by another program, say, or not a DuckDB file
                raise WarehouseError(
                    f"cannot open the warehouse {self.duckdb_path}: {exc}"
                ) from exc
            try:
                yield con
            finally:
                con.close()

    def writing(self, scopes: Sequence[str]) -> AbstractContextManager[Any]:
        """The one write lock, whatever the scopes, with the warehouse open (see `writer`)."""
        return self.writer()

    @contextmanager
    def locked_connection(self, connection: Any) -> Iterator[Any]:
        """A cursor of `connection` when given (the `writer` one, which stays open), else a
        connection of its own; committed at the end."""
        import duckdb

        if connection is not None:
            con = connection.cursor()
        else:
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.duckdb_path))
        try:
            yield con
            con.commit()
        finally:
            con.close()

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A connection of its own, under the write lock; the warehouse must exist."""
        import duckdb

        if not self.exists():
            raise WarehouseError(
                f"the warehouse {self.duckdb_path} does not exist yet: run `intsync sync` first"
            )
        with self.write_lock():
            con = duckdb.connect(str(self.duckdb_path))
            try:
                yield con
            finally:
                con.close()

    def lock_schema(self, connection: Any) -> None:
        """Nothing to wait for: the write lock keeps every other load out."""
