"""What every part of the Store shares: the engine, the cipher, and transaction helpers."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from warehouse.crypto import Cipher
from warehouse.store.engine import read_transaction, write_transaction


class StoreBase:
    """Holds the engine and the cipher; the concern mixins build on it."""

    def __init__(self, engine: Engine, cipher: Cipher) -> None:
        self.engine = engine
        self._cipher = cipher

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def _read(self) -> AbstractContextManager[Connection]:
        return read_transaction(self.engine)

    def _write(self) -> AbstractContextManager[Connection]:
        return write_transaction(self.engine)

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has on_conflict_do_nothing / on_conflict_do_update."""
        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    def close(self) -> None:
        """Close the store's pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"
