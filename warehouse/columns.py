"""The columns of the warehouse's tables, in the mapping language's type names.

`mappings plan` and `remap` compare a spec's columns with a table's; the two warehouses spell
one type differently (`VARCHAR` and `character varying`, `DECIMAL(18,2)` and `numeric`), so each
spelling is read back as the type a spec would declare: text, bigint, double, decimal(p,s),
boolean, timestamp, date, json. A type no spec can declare keeps the warehouse's own name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.destinations import Warehouse

_NAMES = {
    "varchar": "text",
    "character varying": "text",
    "text": "text",
    "bigint": "bigint",
    "integer": "bigint",
    "double": "double",
    "double precision": "double",
    "boolean": "boolean",
    "timestamp with time zone": "timestamp",
    "date": "date",
    "json": "json",
    "jsonb": "json",
}
_DECIMAL = re.compile(r"^(?:decimal|numeric)\s*\((\d+)\s*,\s*(\d+)\)$")
_SQL = {
    "duckdb": {
        "text": "VARCHAR",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "date": "DATE",
        "json": "JSON",
        "decimal": "DECIMAL({p},{s})",
    },
    "postgres": {
        "text": "varchar",
        "bigint": "bigint",
        "double": "double precision",
        "boolean": "boolean",
        "timestamp": "timestamp with time zone",
        "date": "date",
        "json": "json",
        "decimal": "numeric({p},{s})",
    },
}


@dataclass(frozen=True)
class TableColumn:
    """A column as the warehouse holds it: its name, type (spec spelling) and nullability."""

    name: str
    type: str
    nullable: bool = True


def type_name(data_type: str, precision: int | None = None, scale: int | None = None) -> str:
    """A warehouse's type, as information_schema spells it, in the specs' spelling."""
    lowered = data_type.strip().lower()
    matched = _DECIMAL.match(lowered)
    if matched:
        return f"decimal({matched[1]},{matched[2]})"
    if lowered in ("numeric", "decimal") and precision is not None:
        return f"decimal({precision},{scale or 0})"
    return _NAMES.get(lowered, lowered)


def sql_type(kind: str, type_: str) -> str:
    """The SQL type a `kind` warehouse ("duckdb", "postgres") creates for a spec type."""
    matched = _DECIMAL.match(type_)
    if matched:
        return _SQL[kind]["decimal"].format(p=matched[1], s=matched[2])
    try:
        return _SQL[kind][type_]
    except KeyError:
        raise ValueError(f"no {kind} column type for {type_!r}") from None


def dataset_columns(warehouse: Warehouse, dataset: str) -> dict[str, list[TableColumn]]:
    """Every table of `dataset` with its columns in order; empty when there is none."""
    return datasets_columns(warehouse, (dataset,)).get(dataset, {})


def datasets_columns(
    warehouse: Warehouse, datasets: Sequence[str]
) -> dict[str, dict[str, list[TableColumn]]]:
    """Every table of these datasets with its columns in order, by dataset, in one query (a
    sync reads them once: opening the DuckDB file is most of the cost)."""
    if not warehouse.exists():
        return {}
    marks = ", ".join([warehouse.placeholder] * len(datasets))
    rows = warehouse.query(
        "select table_schema, table_name, column_name, data_type, numeric_precision,"
        " numeric_scale, is_nullable from information_schema.columns"
        f" where table_schema in ({marks}) order by table_schema, table_name, ordinal_position",
        tuple(datasets),
    )
    found: dict[str, dict[str, list[TableColumn]]] = {}
    for dataset, table, column, data_type, precision, scale, nullable in rows:
        found.setdefault(dataset, {}).setdefault(table, []).append(
            TableColumn(column, type_name(data_type, precision, scale), nullable == "YES")
        )
    return found
