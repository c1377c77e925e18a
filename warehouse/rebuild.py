"""Rebuilding one table from new rows, atomically: readers see the old table or the new one.

A column whose type changed cannot be loaded into (DuckDB and PostgreSQL cast the new values to
the old type, or fail the load), and altering it in place would convert the old values with the
warehouse's casts, not the mapping's. So `intsync remap` maps every raw record again and hands
the rows here: a new table is created beside the old one with the wanted columns, filled (one
row per key, the newest), the values of columns kept though no spec maps them copied over by
key, and the two swapped in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.columns import TableColumn, sql_type
from warehouse.destinations import STAGING_LAYOUT, Warehouse, lock_key, postgres_dsn, quoted

NEW_SUFFIX = "__intsync_rebuild"
INCOMING_SUFFIX = "__intsync_incoming"


def rebuild_table(
    warehouse: Warehouse,
    dataset: str,
    table: str,
    columns: Sequence[TableColumn],
    files: Sequence[Path],
    key: Sequence[str],
    kept: Sequence[str] = (),
) -> int:
    """Replace `dataset.table` by one with `columns` holding the rows of the Parquet `files`
    (the newest `_synced_at` of each `key`), and the old values of the `kept` columns; the rows
    written. The table's copy in the dataset's staging dataset (`<dataset>_staging`, where
    merges stage their rows) goes too: dlt empties it, never changes its columns, and would
    stage the next merge in the old types. Holds the dataset's write lock."""
    scratch = f"{quoted(STAGING_LAYOUT % dataset)}.{quoted(table)}"
    name = f"{quoted(dataset)}.{quoted(table)}"
    new = f"{quoted(dataset)}.{quoted(table + NEW_SUFFIX)}"
    incoming = quoted(table + INCOMING_SUFFIX)
    create = ", ".join(
        f"{quoted(c.name)} {sql_type(warehouse.kind, c.type)}" + ("" if c.nullable else " not null")
        for c in columns
    )
    names = [c.name for c in columns]
    with warehouse.writer(f"dataset {dataset}") as held:
        if warehouse.kind == "duckdb":
            rows = _duckdb(held, name, new, incoming, create, names, files, key, kept, table)
        else:
            rows = _postgres(warehouse, name, new, incoming, create, columns, files, key, kept)
        with warehouse.locked_connection(held) as con:
            con.cursor().execute(f"drop table if exists {scratch}")
    return rows


def _duckdb(
    con: Any,
    name: str,
    new: str,
    incoming: str,
    create: str,
    names: list[str],
    files: Sequence[Path],
    key: Sequence[str],
    kept: Sequence[str],
    table: str,
) -> int:
    cur = con.cursor()
    cur.execute("begin transaction")
    try:
        cur.execute(f"create table {new} ({create})")
        if files:
            listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            cur.execute(
                f"create temp table {incoming} as select * from read_parquet([{listed}],"
                " union_by_name = true)"
            )
            _fill(cur, new, f"temp.{incoming}", names, _columns_of(cur, f"temp.{incoming}"), key)
        _copy_kept(cur, new, name, key, kept)
        cur.execute(f"select count(*) from {new}")
        rows = int(cur.fetchone()[0])
        cur.execute(f"drop table {name}")
        cur.execute(f"alter table {new} rename to {quoted(table)}")
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    finally:
        cur.execute(f"drop table if exists temp.{incoming}")
        cur.close()
    return rows


def _postgres(
    warehouse: Warehouse,
    name: str,
    new: str,
    incoming: str,
    create: str,
    columns: Sequence[TableColumn],
    files: Sequence[Path],
    key: Sequence[str],
    kept: Sequence[str],
) -> int:
    import adbc_driver_postgresql.dbapi as adbc

    from warehouse.destinations import SCHEMA_LOCK

    table = name.rsplit(".", 1)[1].strip('"')
    with adbc.connect(postgres_dsn(warehouse.url)) as con:
        cur = con.cursor()
        try:
            cur.execute("select pg_advisory_xact_lock($1)", (lock_key(SCHEMA_LOCK),))
            # loads of every venue wait here until the new table is in place
            cur.execute(f"lock table {name} in access exclusive mode")
            cur.execute(f"create table {new} ({create})")
            if files:
                schema = pa.unify_schemas([pq.read_schema(f) for f in files])
                cur.adbc_ingest(
                    table + INCOMING_SUFFIX, _batches(files, schema), mode="create", temporary=True
                )
                cast = {c.name: sql_type("postgres", c.type) for c in columns}
                _fill(cur, new, incoming, [c.name for c in columns], schema.names, key, cast)
            _copy_kept(cur, new, name, key, kept)
            cur.execute(f"select count(*) from {new}")
            rows = int(cur.fetchone()[0])
            cur.execute(f"drop table {name}")
            cur.execute(f"alter table {new} rename to {quoted(table)}")
            cur.execute(f"drop table if exists {incoming}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            cur.close()
    return rows


def _batches(files: Sequence[Path], schema: pa.Schema) -> pa.RecordBatchReader:
    """The files' rows as one stream of `schema` (a venue's own columns are null elsewhere)."""

    def batches() -> Any:
        for path in files:
            data = pq.read_table(path)
            for missing in (n for n in schema.names if n not in data.column_names):
                data = data.append_column(
                    missing, pa.nulls(data.num_rows, schema.field(missing).type)
                )
            yield from data.select(schema.names).cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def _columns_of(cur: Any, name: str) -> list[str]:
    cur.execute(f"select * from {name} limit 0")
    return [d[0] for d in cur.description]


def _fill(
    cur: Any,
    new: str,
    incoming: str,
    names: Sequence[str],
    present: Sequence[str],
    key: Sequence[str],
    cast: dict[str, str] | None = None,
) -> None:
    """Insert into `new` the newest incoming row of each key, column by column."""
    shared = [n for n in names if n in present]
    selected = ", ".join(
        f"{quoted(n)}::{cast[n]}" if cast and n in cast else quoted(n) for n in shared
    )
    partition = ", ".join(quoted(k) for k in key)
    order = '"_synced_at" desc' if "_synced_at" in present else "1"
    cur.execute(
        f"insert into {new} ({', '.join(quoted(n) for n in shared)})"
        f" select {selected} from (select *, row_number() over (partition by {partition}"
        f" order by {order}) as intsync_copy from {incoming}) numbered where intsync_copy = 1"
    )


def _copy_kept(cur: Any, new: str, old: str, key: Sequence[str], kept: Sequence[str]) -> None:
    """The old values of columns no spec maps any more but that were kept, joined on the key."""
    if not kept:
        return
    assignments = ", ".join(f"{quoted(c)} = old.{quoted(c)}" for c in kept)
    condition = " and ".join(f"{new}.{quoted(k)} = old.{quoted(k)}" for k in key)
    cur.execute(f"update {new} set {assignments} from {old} as old where {condition}")
