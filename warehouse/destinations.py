"""The warehouse behind INTSYNC_WAREHOUSE: what every engine offers (SQL connections, a writer
lock, the tables intsync prepares for loads) and the helpers their SQL shares.

`Warehouse(url)` is the engine's own class (warehouse.engines: DuckDB, PostgreSQL), which holds
all SQL and locking that differ between the two. The dlt destination of a warehouse is the
pipelines' business (pipelines.dltquirks)."""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from warehouse.layout import create_compressed_tables, with_compressed_columns

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
    """One warehouse URL: `duckdb:///path` or `postgresql://...`. `Warehouse(url)` makes the
    engine's class (see `engine_class`); this one holds what their SQL shares."""

    url: str
    kind: ClassVar[str]  # "duckdb" or "postgres", as data: the SQL lives in the engine's class
    placeholder: ClassVar[str]  # the driver's parameter mark
    # the engines' classes by kind; each adds itself (warehouse.engines, which the package imports)
    engines: ClassVar[dict[str, type[Warehouse]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        Warehouse.engines[cls.kind] = cls

    def __new__(cls, url: str = "") -> Warehouse:
        # copies and unpickling call the engine's class itself, with no URL
        return super().__new__(engine_class(url) if cls is Warehouse else cls)

    # what each engine implements

    def exists(self) -> bool:
        """Whether the warehouse exists yet (a DuckDB file is made by the first load)."""
        raise NotImplementedError

    def write_lock(self, scope: str | None = None) -> AbstractContextManager[None]:
        """Serialise loads, which wait for each other instead of failing (the loads of one
        `scope`, on engines that take several writers at once; none: no lock there)."""
        raise NotImplementedError

    def writer(self, scope: str | None = None) -> AbstractContextManager[Any]:
        """Hold the write lock (for `scope`'s loads, see `write_lock`), with the connection an
        engine keeps open for the block's loads (None where it keeps none)."""
        raise NotImplementedError

    def writing(self, scopes: Sequence[str]) -> AbstractContextManager[Any]:
        """Hold the write locks of these scopes, taken in this order, for a block of loads;
        yields what `writer` does."""
        raise NotImplementedError

    def locked_connection(self, connection: Any) -> AbstractContextManager[Any]:
        """A DB-API connection for a caller that holds the write lock (`connection`: what
        `writer` yielded, or None); committed at the end."""
        raise NotImplementedError

    def connect(self) -> AbstractContextManager[Any]:
        """A DB-API connection; closed on exit."""
        raise NotImplementedError

    def lock_schema(self, connection: Any) -> None:
        """In the connection's transaction, wait for other loads' changes of tables to end
        (where several load at once)."""
        raise NotImplementedError

    # shared

    def prepare_tables(
        self,
        dataset: str,
        tables: Mapping[str, Mapping[str, Any]],
        connection: Any = None,
        also: Callable[[Any], None] | None = None,
    ) -> None:
        """Ready these tables (name: dlt column hints) of `dataset` for dlt's load; the caller
        holds the write lock (and may pass the `writer` connection to work through). Tables with
        compressed columns are created by intsync (see warehouse.layout); `also(connection)`,
        when given, runs in the same transaction after (the loaders' fixes of dlt's tables)."""
        wanted = with_compressed_columns(tables)
        if not wanted and also is None:
            return

        def prepare() -> None:
            with self.locked_connection(connection) as con:
                self.lock_schema(con)  # loads of other venues change tables too
                if wanted:
                    create_compressed_tables(con, self.kind, dataset, wanted)
                if also is not None:
                    also(con)

        # the lock orders intsync's own DDL; dlt's, of another venue's load, may still collide
        again_on_collision(
            prepare, lambda exc: exc if collided(exc) else None, f"preparing {dataset}"
        )

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
        if not self.exists():
            return False
        rows = self.query(self._table_exists_sql, (dataset, table))
        return bool(rows[0][0])

    def loader_datasets(self) -> dict[str, list[str]]:
        """The per-integration staging datasets older builds left (see LOADER_DATASET), by
        integration; only names an integration id can have, never a lookalike."""
        if not self.exists():
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
            self.lock_schema(con)
            cur = con.cursor()
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


def collided(
    error: BaseException | None,
    causes: Callable[[BaseException], Iterable[object]] = lambda e: (e.__cause__, e.__context__),
) -> bool:
    """Whether a failed DDL statement collided with another transaction, on PostgreSQL: two
    creating one table or schema at once leave the later a unique violation on the catalog
    (`pg_type`, `pg_namespace`), two adding one column a duplicate column; PostgreSQL ends one
    of two that deadlocked. The failed transaction is rolled back, and trying again finds the
    other's work done. Follows the error's `causes` (its cause and context unless told; a
    library's wrappers may keep theirs elsewhere)."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        error = pending.pop()
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        if getattr(error, "pgcode", None) in DDL_COLLISIONS:
            return True
        pending += causes(error)
    return False


def lock_key(name: str) -> int:
    """The 64-bit key of PostgreSQL's advisory lock called `name`."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)


def quoted(identifier: str) -> str:
    """An SQL identifier, quoted (the same rule on DuckDB and PostgreSQL)."""
    return '"' + identifier.replace('"', '""') + '"'


def postgres_dsn(url: str) -> str:
    """A libpq URL of a warehouse URL (`postgresql+driver://...` too)."""
    return "postgresql://" + url.split("://", 1)[1]


def engine_class(url: str) -> type[Warehouse]:
    """The class of the engine a warehouse URL names."""
    return Warehouse.engines["duckdb" if url.startswith("duckdb:") else "postgres"]
