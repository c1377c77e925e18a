"""The warehouse behind INTSYNC_WAREHOUSE: a dlt destination, a SQL connection, and a writer lock."""

from __future__ import annotations

import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from warehouse.errors import WarehouseError
from warehouse.layout import create_compressed_tables, with_compressed_columns
from warehouse.locks import exclusive_file_lock

log = logging.getLogger(__name__)

DATASETS = ("raw", "staging", "core", "ops")
# on PostgreSQL, held while intsync creates or changes tables (loads of several venues run at once)
SCHEMA_LOCK = "intsync schema"
# PostgreSQL error codes of a DDL statement that collided with another transaction: doing the
# same, a unique violation (on the catalog), duplicate table, schema, column or object; or
# locking tables in another order (rewriting one while another venue merges), a deadlock
DDL_COLLISIONS = frozenset({"23505", "42P07", "42P06", "42701", "42710", "40P01"})
# tries of DDL that collided so (see `collided`, `again_on_collision`)
COLLISION_ATTEMPTS = 5
# the advisory locks each thread holds (see `Warehouse._advisory_lock`)
_HELD_ADVISORY = threading.local()


# Where merges stage their rows: dlt's default, one `<dataset>_staging` per dataset. Each load
# empties the staging tables it writes to, so the loads of a dataset wait for each other (see
# pipelines.loaders).
STAGING_LAYOUT = "%s_staging"
# the integration ids the store makes (`int_` and 16 hex digits)
INTEGRATION_ID = r"int_[0-9a-f]{16}"
# `<dataset>_load_<integration id>`: the datasets in which loaders of one integration each
# staged their merges before one pipeline per dataset; dropped when found
LOADER_DATASET = re.compile(rf"(?:{'|'.join(DATASETS)})_load_(?P<loader>{INTEGRATION_ID})")


@dataclass(frozen=True)
class Warehouse:
    """One warehouse URL: `duckdb:///path` or `postgresql://...`."""

    url: str

    @property
    def kind(self) -> str:
        return "duckdb" if self.url.startswith("duckdb:") else "postgres"

    @property
    def duckdb_path(self) -> Path:
        # duckdb:///relative/path or duckdb:////absolute/path, as SQLAlchemy spells sqlite URLs;
        # made absolute, so that dlt (which resolves a relative path against its own folders)
        # opens the same file as intsync, and the database the two share is one
        return Path(self.url.split(":///", 1)[1]).absolute()

    def destination(self) -> Any:
        """A dlt destination for this warehouse. On DuckDB, its credentials are the file's path
        (see `writer`)."""
        if self.kind == "duckdb":
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            return dlt.destinations.duckdb(
                str(self.duckdb_path), staging_dataset_name_layout=STAGING_LAYOUT
            )
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        credentials = PostgresCredentials()
        credentials.parse_native_representation(postgres_dsn(self.url))
        if credentials.password is None:  # trust or peer auth: dlt insists on a value
            credentials.password = ""
        # no UNIQUE keys from dlt's hints: they only cost time on loads, and a warehouse first
        # loaded by an older build keeps working
        return dlt.destinations.postgres(
            credentials=credentials,
            create_indexes=False,
            staging_dataset_name_layout=STAGING_LAYOUT,
        )

    @contextmanager
    def write_lock(self, scope: str | None = None) -> Iterator[None]:
        """Serialise loads, which wait for each other instead of failing.

        DuckDB allows one writer: every load waits for the one before, on this machine (a file
        lock beside the warehouse). PostgreSQL takes loads at once, from any machine, except two
        of one `scope` (the venue whose rows they load; none: no lock). Those wait for each
        other through an advisory lock the server frees if the holder dies: two merges of the
        same keys at once would each delete the rows they see and both insert theirs, and two
        loads of one integration would share its dlt working folder."""
        if self.kind == "duckdb":
            lock = self.duckdb_path.with_name(self.duckdb_path.name + ".lock")
            with exclusive_file_lock(lock):
                yield
        elif scope is None:
            yield
        else:
            with self._advisory_lock(f"intsync load {scope}"):
                yield

    @contextmanager
    def _advisory_lock(self, name: str) -> Iterator[None]:
        """Hold PostgreSQL's session advisory lock of `name` (re-entrant within a thread) on a
        connection of its own, closed at the end."""
        held: set[tuple[str, str]] = _HELD_ADVISORY.__dict__.setdefault("held", set())
        mine = (self.url, name)
        if mine in held:
            yield
            return
        import psycopg2

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
    def writer(self, scope: str | None = None) -> Iterator[Any]:
        """Hold the write lock (for `scope`'s loads, see `write_lock`); on DuckDB, with a
        connection open for the block, closed at the end. None on PostgreSQL.

        The block's loads open connections of their own to the same path, which join the
        database this one holds open (DuckDB keeps one per file and process). dlt otherwise
        opens the DuckDB file for each load job and closes it after, and every last close
        checkpoints the database. On a first sync of 200,000 charges (bench/sync.py,
        best of three) that took 21.5 s against 19.0 s shared, with floors of 10.2 s and 9.1 s
        in the same runs: within this machine's noise, though never slower."""
        with self.write_lock(scope):
            if self.kind != "duckdb":
                yield None
                return
            import duckdb

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

    def prepare_tables(
        self, dataset: str, tables: Mapping[str, Mapping[str, Any]], connection: Any = None
    ) -> None:
        """Ready these tables (name: dlt column hints) of `dataset` for dlt's load; the caller
        holds the write lock (and on DuckDB may pass a connection to work through). Tables with
        compressed columns are created by intsync (see warehouse.layout); on PostgreSQL,
        `jsonb` columns become `json` (see `_json_not_jsonb`)."""
        wanted = with_compressed_columns(tables)
        if not wanted and self.kind != "postgres":
            return
        if self.kind == "duckdb":
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)

        def prepare() -> None:
            with self.locked_connection(connection) as con:
                if self.kind == "postgres":  # loads of other venues change tables at the same time
                    con.cursor().execute(
                        "select pg_advisory_xact_lock(%s)", (lock_key(SCHEMA_LOCK),)
                    )
                if wanted:
                    create_compressed_tables(con, self.kind, dataset, wanted)
                if self.kind == "postgres":
                    _json_not_jsonb(con, dataset, list(tables))

        # the lock orders intsync's own DDL; dlt's, of another venue's load, may still collide
        again_on_collision(
            prepare, lambda exc: exc if collided(exc) else None, f"preparing {dataset}"
        )

    @contextmanager
    def locked_connection(self, connection: Any) -> Iterator[Any]:
        """A DB-API connection for a caller that holds the write lock: on DuckDB a cursor of
        `connection` when given (the `writer` one, which stays open), else one of its own;
        committed at the end."""
        if self.kind == "duckdb":
            import duckdb

            con = (
                connection.cursor()
                if connection is not None
                else duckdb.connect(str(self.duckdb_path))
            )
        else:
            import psycopg2

            con = psycopg2.connect(postgres_dsn(self.url))
        try:
            yield con
            con.commit()
        finally:
            con.close()

    @property
    def _table_exists_sql(self) -> str:
        mark = self.placeholder
        return (
            "select count(*) from information_schema.tables"
            f" where table_schema = {mark} and table_name = {mark}"
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read query and return its rows (for analysts' examples, remap and tests)."""
        with self.connect() as con:
            cur = con.cursor()
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def columns(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read query and return (column names, rows)."""
        with self.connect() as con:
            cur = con.cursor()
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            return names, list(cur.fetchall())

    def table_exists(self, dataset: str, table: str) -> bool:
        if self.kind == "duckdb" and not self.duckdb_path.exists():
            return False
        rows = self.query(self._table_exists_sql, (dataset, table))
        return bool(rows[0][0])

    def loader_datasets(self) -> dict[str, list[str]]:
        """The per-integration staging datasets older builds left (see LOADER_DATASET), by
        integration; only names an integration id can have, never a lookalike."""
        if self.kind == "duckdb" and not self.duckdb_path.exists():
            return {}
        found: dict[str, list[str]] = {}
        for (name,) in self.query("select schema_name from information_schema.schemata"):
            matched = LOADER_DATASET.fullmatch(name)
            if matched:
                found.setdefault(matched["loader"], []).append(name)
        return found

    def drop_not_null(self, dataset: str, table: str, columns: Sequence[str]) -> None:
        """Let these columns of `dataset.table` (and of its copy in the dataset's staging
        dataset, where merges stage rows) take nulls: no spec fills them any more (dlt made
        them NOT NULL for a spec's `nullable: false`), so the next load would be refused."""
        mark = self.placeholder
        with self.write_lock(), self.locked_connection(None) as con:
            cur = con.cursor()
            if self.kind == "postgres":
                cur.execute("select pg_advisory_xact_lock(%s)", (lock_key(SCHEMA_LOCK),))
            cur.execute(
                "select table_schema, column_name from information_schema.columns"
                f" where table_name = {mark} and is_nullable = 'NO'",
                (table,),
            )
            for schema, column in cur.fetchall():
                copy = schema in (dataset, STAGING_LAYOUT % dataset)
                if copy and column in columns:
                    cur.execute(
                        f"alter table {quoted(schema)}.{quoted(table)}"
                        f" alter column {quoted(column)} drop not null"
                    )

    def drop_tables(self, names: Sequence[str]) -> None:
        """Drop these tables (quoted, qualified names) where they exist, in one transaction."""
        if not names:
            return
        with self.connect() as con:
            cur = con.cursor()
            for name in names:
                cur.execute(f"drop table if exists {name}")
            con.commit()

    def drop_datasets(self, names: Sequence[str]) -> None:
        """Drop these datasets (schemas) and everything in them, in one transaction."""
        if not names:
            return
        with self.connect() as con:
            cur = con.cursor()
            for name in names:
                cur.execute(f"drop schema if exists {quoted(name)} cascade")
            con.commit()

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection (duckdb or psycopg2); closed on exit."""
        if self.kind == "duckdb":
            import duckdb

            if not self.duckdb_path.exists():
                raise WarehouseError(
                    f"the warehouse {self.duckdb_path} does not exist yet: run `intsync sync` first"
                )
            with self.write_lock():
                con = duckdb.connect(str(self.duckdb_path))
                try:
                    yield con
                finally:
                    con.close()
        else:
            import psycopg2

            con = psycopg2.connect(postgres_dsn(self.url))
            try:
                yield con
                con.commit()
            finally:
                con.close()

    @property
    def placeholder(self) -> str:
        return "?" if self.kind == "duckdb" else "%s"


def again_on_collision(
    action: Callable[[], None],
    collision: Callable[[Exception], BaseException | None],
    what: str,
) -> None:
    """`action()`, tried again (up to COLLISION_ATTEMPTS times in all, after a short random
    wait) while it fails with an error in which `collision` finds a collision with another
    venue's load; any other error, or the last try's, is raised."""
    for attempt in range(1, COLLISION_ATTEMPTS):
        try:
            return action()
        except Exception as exc:
            found = collision(exc)
            if found is None:
                raise
            log.info("%s collided with another venue's load; trying again: %s", what, found)
            time.sleep(random.uniform(0.05, 0.3) * attempt)
    return action()


def collided(error: BaseException | None) -> bool:
    """Whether a failed DDL statement collided with another transaction, on PostgreSQL: two
    creating one table or schema at once leave the later a unique violation on the catalog
    (`pg_type`, `pg_namespace`), two adding one column a duplicate column; PostgreSQL ends one
    of two that deadlocked. The failed transaction is rolled back, and trying again finds the
    other's work done. Follows the error's causes, dlt's wrappers' (`cause`,
    `dbapi_exception`) too."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        error = pending.pop()
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        if getattr(error, "pgcode", None) in DDL_COLLISIONS:
            return True
        pending += [getattr(error, "cause", None), getattr(error, "dbapi_exception", None)]
        pending += [error.__cause__, error.__context__]
    return False


def lock_key(name: str) -> int:
    """The 64-bit key of PostgreSQL's advisory lock called `name`."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)


def quoted(identifier: str) -> str:
    """An SQL identifier, quoted (the same rule on DuckDB and PostgreSQL)."""
    return '"' + identifier.replace('"', '""') + '"'


def _json_not_jsonb(con: Any, dataset: str, tables: Sequence[str]) -> None:
    """Turn the `jsonb` columns of these tables (in `dataset` and its staging dataset)
    into `json`. dlt's CSV copy, which loaded PostgreSQL before, typed json columns `jsonb`; its
    binary copy cannot write those ("unsupported jsonb version number") and dlt never changes
    the type of a column that exists. A one-time rewrite of each such table; a read otherwise."""
    from psycopg2 import sql

    cur = con.cursor()
    cur.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in (%s, %s)"
        " and table_name = any(%s) and data_type = 'jsonb'",
        (dataset, STAGING_LAYOUT % dataset, list(tables)),
    )
    for schema, table, column in cur.fetchall():
        cur.execute(
            sql.SQL("alter table {}.{} alter column {} type json using {}::json").format(
                sql.Identifier(schema),
                sql.Identifier(table),
                sql.Identifier(column),
                sql.Identifier(column),
            )
        )


def postgres_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]
