"""A PostgreSQL warehouse: a server that takes loads from many workers at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from warehouse.destinations import SCHEMA_LOCK, Warehouse, lock_key, postgres_dsn
from warehouse.errors import WarehouseError

# the advisory locks each thread holds (see `PostgresWarehouse._advisory_lock`)
_HELD_ADVISORY = threading.local()


class PostgresWarehouse(Warehouse):
    """`postgresql://...` (any other scheme, too: libpq reads it as `postgresql://`)."""

    kind = "postgres"
    placeholder = "%s"

    def exists(self) -> bool:
        return True

    @contextmanager
    def write_lock(self, scope: str | None = None) -> Iterator[None]:
        """Loads run at once, from any machine, except two of one `scope` (the venue or dataset
        whose rows they load; none: no lock). Those wait for each other through an advisory
        lock the server frees if the holder dies: two merges of the same keys at once would
        each delete the rows they see and both insert theirs."""
        if scope is None:
            yield
        else:
            with self._advisory_lock(f"intsync load {scope}"):
                yield

    @contextmanager
    def writer(self, scope: str | None = None) -> Iterator[Any]:
        """The write lock of `scope`; no connection is kept open (None)."""
        with self.write_lock(scope):
            yield None

    @contextmanager
    def writing(self, scopes: Sequence[str]) -> Iterator[Any]:
        """Each scope's lock, in the order given, so that two blocks that take them in one
        order never wait for each other in turn; None."""
        with ExitStack() as stack:
            for scope in scopes:
                stack.enter_context(self.write_lock(scope))
            yield None

    @contextmanager
    def _advisory_lock(self, name: str) -> Iterator[None]:
        """Hold PostgreSQL's session advisory lock of `name` (re-entrant within a thread) on a
        connection of its own, closed at the end."""
        held: set[tuple[str, str]] = _HELD_ADVISORY.__dict__.setdefault("held", set())
        mine = (self.url, name)
        if mine in held:
            yield
            return
        import psycopg2  # on first use: commands that never open the warehouse start faster

        key = lock_key(name)
        try:
            con = psycopg2.connect(postgres_dsn(self.url))
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot reach the warehouse to lock {name!r}: {exc}") from exc
        try:
            con.autocommit = True
            try:  # waits as long as the holder loads, whatever timeouts the server sets
                con.cursor().execute(
                    "set lock_timeout = 0; set statement_timeout = 0; select pg_advisory_lock(%s)",
                    (key,),
                )
            except psycopg2.Error as exc:
                raise WarehouseError(f"could not take the lock {name!r}: {exc}") from exc
            held.add(mine)
            try:
                yield
            finally:
                held.discard(mine)
        finally:
            con.close()  # the server frees the lock with the session

    @contextmanager
    def locked_connection(self, connection: Any) -> Iterator[Any]:
        """A connection of its own (the `writer` keeps none); committed at the end."""
        with self.connect() as con:
            yield con

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A psycopg2 connection, committed at the end; closed on exit."""
        import psycopg2

        con = psycopg2.connect(postgres_dsn(self.url))
        try:
            yield con
            con.commit()
        finally:
            con.close()

    def lock_schema(self, connection: Any) -> None:
        """Wait for other loads' changes of tables, to the end of the transaction."""
        connection.cursor().execute("select pg_advisory_xact_lock(%s)", (lock_key(SCHEMA_LOCK),))
