"""dlt's quirks in one room: every use of dlt's private API, and every workaround of its behaviour,
that intsync's loads need. Each names the dlt version it was seen on (SEEN_ON unless it says
otherwise), and tests/pipelines/test_dltquirks.py reproduces it on that version: a dlt upgrade
that changes one fails the test of its name, and the workaround can then go.

The quirks, by function:
- `destination`: PostgreSQL credentials through dlt's private `PostgresCredentials`, with an
  empty password where the server trusts (dlt insists on one).
- `json_not_jsonb`: dlt's binary copy to PostgreSQL cannot write `jsonb`, which its CSV copy made.
- `leftovers`, `holds_packages`, `delete_working_folder`: packages a dead run left are loaded
  by the next load (dlt 1.31's folder layout).
- `forget_retyped_columns`, `forget_columns`: surgery on dlt's stored schema, which keeps an old
  precision beside a new type and refuses nulls in a column it once made NOT NULL.
- `dedupe_staged_rows`: the stage-deduplication hint, said outright.
- `load_again_on_lost_race`: a schema update that collided with another load's is found as the
  `__context__` of dlt's PipelineStepFailed, and dlt calls most such collisions terminal.
- `collided_in_load`, `refused_for_good`, `one_line`: dlt's wrappers of warehouse errors, and
  ADBC's refusals, which dlt retries as transient.
- `stored_state`: the state documents dlt keeps in `_dlt_pipeline_state` (private decoder).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    SchemaUpdateError,
    SchemaUpdateTerminalError,
)

from warehouse.destinations import (
    STAGING_LAYOUT,
    Warehouse,
    again_on_collision,
    collided,
    postgres_dsn,
    quoted,
)
from warehouse.engines.duckdb import DuckDBWarehouse

log = logging.getLogger(__name__)

SEEN_ON = "1.31.0"

# A column hint: what dlt's stored schema says of a column, or what a load's hints say.
Column = Mapping[str, Any]


def destination(warehouse: Warehouse) -> Any:
    """The dlt destination of a warehouse, staging merges in STAGING_LAYOUT. On DuckDB its
    credentials are the file's path (see `DuckDBWarehouse.writer`).

    On PostgreSQL (dlt 1.31.0): credentials are built with dlt's `PostgresCredentials` (from
    `dlt.destinations.impl`, a private module), and a password dlt finds nowhere (trust or peer
    authentication) is set empty: dlt otherwise fails the load's configuration with a missing
    `password`. No UNIQUE keys from dlt's hints: they only cost time on loads, and a warehouse
    first loaded by an older build keeps working."""
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(
            str(warehouse.duckdb_path), staging_dataset_name_layout=STAGING_LAYOUT
        )
    return dlt.destinations.postgres(
        credentials=postgres_credentials(warehouse.url),
        create_indexes=False,
        staging_dataset_name_layout=STAGING_LAYOUT,
    )


def postgres_credentials(url: str) -> Any:
    """dlt's credentials of a PostgreSQL URL, the password empty when the URL has none."""
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    credentials = PostgresCredentials()
    credentials.parse_native_representation(postgres_dsn(url))
    if credentials.password is None:  # trust or peer auth: dlt insists on a value
        credentials.password = ""
    return credentials


def table_fixes(
    warehouse: Warehouse, dataset: str, tables: Sequence[str]
) -> Callable[[Any], None] | None:
    """What the loaders run on these tables of `dataset`, in the transaction that prepares them
    (see `Warehouse.prepare_tables`): `json_not_jsonb` on PostgreSQL, nothing on DuckDB."""
    if warehouse.kind != "postgres":
        return None
    return lambda con: json_not_jsonb(con, dataset, tables)


def json_not_jsonb(con: Any, dataset: str, tables: Sequence[str]) -> None:
    """Turn the `jsonb` columns of these tables (in `dataset` and its staging dataset) into
    `json`, through a psycopg2 connection.

    Seen on dlt 1.31.0: its CSV copy, which loaded PostgreSQL before, typed json columns `jsonb`;
    its binary copy (ADBC, for Parquet) cannot write those ("unsupported jsonb version number")
    and dlt never changes the type of a column that exists. A one-time rewrite of each such
    table; a read otherwise."""
    cur = con.cursor()
    cur.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in (%s, %s)"
        " and table_name = any(%s) and data_type = 'jsonb'",
        (dataset, STAGING_LAYOUT % dataset, list(tables)),
    )
    for schema, table, column in cur.fetchall():
        cur.execute(
            f"alter table {quoted(schema)}.{quoted(table)} alter column {quoted(column)}"
            f" type json using {quoted(column)}::json"
        )


def leftovers(pipe: Any) -> bool:
    """Whether the pipeline's working folder holds packages a run left unloaded (extracted or
    normalized), or cannot be read any more (as good as gone).

    Seen on dlt 1.31.0: the next `normalize()` and `load()` take such packages along with the new
    one, and `run(data)` loads them instead of extracting `data` (see /work/shared/errata.md):
    their rows, older than what another worker may have loaded since, would land last."""
    try:
        return bool(pipe.list_extracted_load_packages() or pipe.list_normalized_load_packages())
    except Exception as exc:  # a folder dlt cannot read any more
        log.warning("%s: unreadable working folder (%s)", pipe.pipeline_name, one_line(exc))
        return True


def holds_packages(folder: Path) -> bool:
    """Whether a dlt working folder holds load packages not yet loaded, read from the folder
    itself (no pipeline is made of it). dlt 1.31.0's layout: `normalize/extracted` and
    `load/normalized`."""
    pending = [folder / "normalize" / "extracted", folder / "load" / "normalized"]
    return any(p.is_dir() and any(p.iterdir()) for p in pending)


def delete_working_folder(pipe: Any) -> None:
    """Delete the pipeline's working folder: its packages, local schema and state. The only way
    to drop packages before they load, as `leftovers` says why; the pipeline must be made anew."""
    shutil.rmtree(pipe.working_dir, ignore_errors=True)


def forget_columns(pipe: Any, table: str, columns: AbstractSet[str]) -> None:
    """Drop columns from a table of the pipeline's stored dlt schema (after the table was rebuilt
    without them, or with another type). Seen on dlt 1.31.0: dlt adds a column it knows back at
    its next load, and keeps a changed one's old precision (see `forget_retyped_columns`)."""
    if pipe.default_schema_name is None:
        return
    schema = pipe.default_schema
    stored = schema.tables.get(table, {}).get("columns", {})
    if any(stored.pop(name, None) is not None for name in list(columns)):
        pipe.schemas.save_schema(schema)


def forget_retyped_columns(pipe: Any, tables: Iterable[tuple[str, Mapping[str, Column]]]) -> None:
    """For each (table, column hints) of a load: the columns whose type in dlt's stored schema
    differs from the hints are dropped from that schema, so that dlt takes the hints; so are
    non-nullable stored columns the load does not carry (a spec dropped a `nullable: false`
    field).

    Seen on dlt 1.31.0: a column whose hint changes type keeps its old precision and scale
    beside the new type (PostgreSQL's type mapper then fails the load on a text column with a
    scale); a column dlt made NOT NULL that a load leaves out fails the load ("NOT NULL
    constraint failed")."""
    if pipe.default_schema_name is None:
        return
    schema = pipe.default_schema
    changed = False
    for table, hints in tables:
        stored = schema.tables.get(table, {}).get("columns", {})
        for name, hint in hints.items():
            old = stored.get(name)
            if old is not None and _column_type(old) != _column_type(hint):
                del stored[name]
                changed = True
        for name in [n for n, c in stored.items() if n not in hints and c.get("nullable") is False]:
            del stored[name]  # no spec fills it any more: dlt would refuse the load's nulls
            changed = True
    if changed:
        pipe.schemas.save_schema(schema)


def _column_type(column: Column) -> tuple[Any, ...]:
    return (column.get("data_type"), column.get("precision"), column.get("scale"))


def dedupe_staged_rows(resource: Any) -> Any:
    """The resource, its merges deduplicating the staged rows (a spec may key its table on
    another field than the object's id, so one batch may stage a key twice).

    Seen on dlt 1.31.0: the `x-stage-data-deduplicated` table hint skips that deduplication when
    true, and a table's stored hint stays as it was unless a load says otherwise: said outright,
    so that a schema stored by a build that skipped it does not keep skipping it."""
    resource.apply_hints(additional_table_hints={"x-stage-data-deduplicated": False})
    return resource


def load_again_on_lost_race(pipe: Any) -> None:
    """`pipe.load()`, again when its schema update lost a race: on PostgreSQL, loads of other
    venues may create the same tables or columns at the same time, and dlt then fails the
    update; loading again reads the warehouse anew and applies only what is still missing."""
    again_on_collision(pipe.load, lost_schema_race, f"{pipe.pipeline_name}: the schema update")


def lost_schema_race(exc: Exception) -> SchemaUpdateError | None:
    """The schema update that collided with another load's in a failed load, if that is why it
    failed; None for any other failure, a refusal too.

    Seen on dlt 1.31.0: the load raises PipelineStepFailed with the update's error as its
    `__context__`, and calls most PostgreSQL errors terminal (SchemaUpdateTerminalError), a
    collision on the catalog too (see `collided_in_load`)."""
    cause = exc if isinstance(exc, SchemaUpdateError) else exc.__context__
    if not isinstance(cause, SchemaUpdateError):
        return None
    lost = not isinstance(cause, SchemaUpdateTerminalError) or collided_in_load(cause)
    return cause if lost else None


def collided_in_load(error: BaseException | None) -> bool:
    """`warehouse.destinations.collided`, following dlt's wrappers of a warehouse error too:
    dlt 1.31.0 keeps the driver's error in `cause` (SchemaUpdateError) and `dbapi_exception`
    (DatabaseTerminalException), not always as the wrapper's `__cause__`."""
    return collided(error, _dlt_causes)


def _dlt_causes(error: BaseException) -> list[object]:
    wrapped = [getattr(error, "cause", None), getattr(error, "dbapi_exception", None)]
    return [*wrapped, error.__cause__, error.__context__]


def refused_for_good(exc: BaseException) -> bool:
    """Whether the warehouse refused a load for good (dlt calls such errors terminal); a schema
    update that collided with another load's is tried again elsewhere, not refused.

    Seen on dlt 1.31.0: a Parquet file copied to PostgreSQL through ADBC that the table refuses
    (a value its type cannot take, a type the copy cannot convert, a constraint) fails with the
    driver's own error, which dlt retries as transient and then reports as a plain failure;
    those errors are refusals too. The driver's OperationalError (the connection) is not."""
    seen: BaseException | None = exc
    met: set[int] = set()
    while seen is not None and id(seen) not in met:
        met.add(id(seen))
        if isinstance(seen, DestinationTerminalException) and not collided_in_load(seen):
            return True
        if _refused_by_adbc(seen):
            return True
        nested = getattr(seen, "exception", None)
        seen = nested if isinstance(nested, BaseException) else seen.__cause__ or seen.__context__
    return False


def _refused_by_adbc(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    if not module.startswith("adbc_driver_manager"):
        return False
    name = type(exc).__name__
    if name in ("DataError", "IntegrityError", "ProgrammingError", "NotSupportedError"):
        return True
    return name == "InternalError" and "not implemented" in str(exc)


def one_line(exc: BaseException) -> str:
    """The innermost error's first line, at most 300 characters. dlt 1.31.0 wraps a warehouse
    error in several layers (PipelineStepFailed keeps the step's in `exception`), each
    repeating it with a traceback."""
    inner: BaseException = exc
    while True:
        nested = getattr(inner, "exception", None) or inner.__cause__ or inner.__context__
        if not isinstance(nested, BaseException) or nested is inner:
            break
        inner = nested
    text = str(inner).strip() or type(inner).__name__
    first = next((line.strip() for line in text.splitlines() if line.strip()), text)
    return first if len(first) <= 300 else first[:297] + "..."


def stored_state(
    warehouse: Warehouse, pipeline_name: str, connection: Any = None
) -> dict[str, Any] | None:
    """The newest state document a pipeline of that name stored in the warehouse's staging
    dataset (the caller holds the write lock; `connection`: see `Warehouse.locked_connection`);
    None when there is none.

    Seen on dlt 1.31.0: kept in `staging._dlt_pipeline_state` as a compressed document per
    pipeline, newest by `created_at`, read with dlt's private `decompress_state`; resource state
    under `sources.<source>.resources.<resource>`."""
    from dlt.common.versioned_state import decompress_state

    with warehouse.locked_connection(connection) as con:
        cur = con.cursor()
        cur.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'staging' and table_name = '_dlt_pipeline_state'"
        )
        if not cur.fetchone()[0]:
            return None
        cur.execute(
            'select state from staging."_dlt_pipeline_state" where pipeline_name = '
            f"{warehouse.placeholder} order by created_at desc limit 1",
            (pipeline_name,),
        )
        row = cur.fetchone()
    return None if row is None else dict(decompress_state(row[0]))
