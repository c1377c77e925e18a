"""Engines for the operational store: SQLite (WAL, busy timeout) or PostgreSQL, from one URL."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from warehouse.errors import StoreError
from warehouse.locks import exclusive_file_lock

BUSY_TIMEOUT_S = 30
# Execution option asking for a write transaction: BEGIN IMMEDIATE on SQLite, so that two
# writers queue on the busy timeout instead of failing when a read lock cannot be upgraded.
WRITE = "intsync_write"


def make_engine(database_url: str) -> Engine:
    """An engine for `sqlite:///path` or `postgresql://...`, set up for concurrent use."""
    url = _normalise(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreError(
                f"{database_url!r}: the store needs a file, e.g. sqlite:///path/to/intsync.db"
            )
        _create_private(Path(url.database).expanduser())
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
        _configure_sqlite(engine)
        return engine
    if url.get_backend_name() == "postgresql":
        # No pre-ping: a round trip on every checkout cost webhooks a third of their throughput.
        # A connection the server dropped fails one request (providers retry webhooks; syncs
        # retry), SQLAlchemy then discards the pool, and connections are renewed every 5 minutes.
        return create_engine(url, pool_recycle=300, connect_args={"connect_timeout": 10})
    shown = url.render_as_string(hide_password=True)
    raise StoreError(
        f"{shown!r} is not a supported store: use sqlite:///path or postgresql://host/db"
    )


def _create_private(path: Path) -> None:
    """Create the store's file readable by its owner only (0600, as the key file): it holds
    tenants' webhook bodies and encrypted credentials. SQLite gives its -wal and -shm files
    the database file's mode. An existing file keeps the mode it has."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _normalise(database_url: str) -> URL:
    # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; intsync installs psycopg2.
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    url = make_url(database_url)
    return url.set(drivername="postgresql+psycopg2") if url.drivername == "postgresql" else url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; the "begin" hook below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cursor: Any) -> None:
    """Switch a new database to WAL (persistent in the file). The switch needs the database to
    itself and SQLite answers "locked" at once, without the busy timeout, while another
    connection is opening the same new file: wait and try again."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write: committed on success, else rolled back.

    On SQLite, writers first queue on a lock file beside the database: the kernel wakes the next
    one as soon as the lock is free, where SQLite's own busy handler would poll in sleeps of up
    to 100 ms (that polling cost the webhook intake of two processes half its throughput)."""
    with _writer_turn(engine), engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database:
        yield
        return
    with exclusive_file_lock(f"{database}.writer-lock"):
        yield


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a read-only transaction (a consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn
