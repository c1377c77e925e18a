"""The specs against the warehouse's tables: what the next sync or remap would change.

For every table the specs write (staging, core and child tables; a venue override's extra
columns included): columns to add, columns no spec maps any more, columns whose type changed,
and tables that do not exist yet. Added columns and new tables appear with the next sync or
remap; a type change needs `intsync remap --table T`, which rebuilds the table, and a column
no longer mapped stays until a remap is told to drop it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mappings import SpecSet, compile_spec
from warehouse.columns import TableColumn, dataset_columns
from warehouse.destinations import Warehouse

# columns dlt adds to some tables of its own; never a spec's to map
DLT_COLUMNS = frozenset({"_dlt_load_id", "_dlt_id"})


@dataclass(frozen=True)
class TypeChange:
    """A column whose spec type differs from the warehouse's."""

    column: str
    warehouse: str
    spec: str


@dataclass
class TablePlan:
    """What the specs would change in one table."""

    dataset: str
    table: str
    specs: list[str]  # the spec files that write it
    exists: bool = True
    add: list[tuple[str, str]] = field(default_factory=list)  # (column, type)
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (column, warehouse type)
    changes: list[TypeChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.dataset}.{self.table}"

    @property
    def changed(self) -> bool:
        """Whether anything differs between the specs and the table."""
        return not self.exists or bool(self.add or self.unmapped or self.changes)

    @property
    def needs_rebuild(self) -> bool:
        """Whether only a rebuild brings the table in line (a column changed type)."""
        return self.exists and bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "specs": self.specs,
            "new_table": not self.exists,
            "add": [{"column": c, "type": t} for c, t in self.add],
            "unmapped": [{"column": c, "type": t} for c, t in self.unmapped],
            "type_changes": [
                {"column": c.column, "warehouse": c.warehouse, "spec": c.spec} for c in self.changes
            ],
        }


@dataclass
class _Wanted:
    """One table's columns as the specs want them: name -> type, in spec order."""

    columns: dict[str, str] = field(default_factory=dict)
    specs: list[str] = field(default_factory=list)


def plan(
    spec_set: SpecSet, warehouse: Warehouse, tables: Iterable[tuple[str, str]] | None = None
) -> list[TablePlan]:
    """Every table the specs write (or only `tables`, as (dataset, table)), compared with the
    warehouse, in dataset and table order."""
    wanted = wanted_columns(spec_set)
    if tables is not None:
        chosen = set(tables)
        wanted = {key: value for key, value in wanted.items() if key in chosen}
    held: dict[str, dict[str, list[TableColumn]]] = {}
    plans = []
    for (dataset, table), want in sorted(wanted.items()):
        if dataset not in held:
            held[dataset] = dataset_columns(warehouse, dataset)
        plans.append(_compare(dataset, table, want, held[dataset].get(table)))
    return plans


def wanted_columns(spec_set: SpecSet) -> dict[tuple[str, str], _Wanted]:
    """(dataset, table) -> the columns and types the specs (venue overrides too) give it."""
    wanted: dict[tuple[str, str], _Wanted] = {}
    for spec in [*spec_set.all(), *spec_set.venue_overrides()]:
        compiled = compile_spec(spec)
        for table, hints in table_hints(compiled):
            want = wanted.setdefault((spec.dataset, table), _Wanted())
            if spec.path not in want.specs:
                want.specs.append(spec.path)
            for name, hint in hints.items():
                want.columns.setdefault(name, hint_type(hint))
    return wanted


def type_changes(
    compiled: Iterable[Any], columns_of: Callable[[str], dict[str, list[TableColumn]]]
) -> list[str]:
    """Why these compiled mappings (one resource's, for one venue) cannot be loaded as they
    are: each column whose warehouse type differs from the spec's, as a line saying the fix.
    A load would cast the new values to the old type, or fail on them. `columns_of(dataset)`
    gives the warehouse's tables (`dataset_columns`, read once per sync)."""
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for mapping in compiled:
        for table, hints in table_hints(mapping):
            columns = wanted.setdefault((mapping.dataset, table), {})
            columns.update({name: hint_type(hint) for name, hint in hints.items()})
    problems = []
    for dataset in sorted({d for d, _ in wanted}):
        held = columns_of(dataset)
        for (in_dataset, table), columns in sorted(wanted.items()):
            if in_dataset != dataset:
                continue
            have = {c.name: c.type for c in held.get(table, [])}
            for name, type_ in columns.items():
                if name in have and have[name] != type_:
                    problems.append(
                        f"{dataset}.{table}.{name} is {have[name]} in the warehouse and {type_} "
                        f"in the spec: run `intsync remap --table {table}` to rebuild it"
                    )
    return problems


def unfilled_not_null(
    compiled: Iterable[Any], columns_of: Callable[[str], dict[str, list[TableColumn]]]
) -> list[tuple[str, str, list[str]]]:
    """(dataset, table, columns) of NOT NULL columns these compiled mappings no longer fill:
    a spec dropped a `nullable: false` column, and every load would be refused until the
    column takes nulls (or is dropped with `remap --drop-unmapped`)."""
    found = []
    for mapping in compiled:
        for table, hints in table_hints(mapping):
            held = columns_of(mapping.dataset).get(table, [])
            unfilled = [c.name for c in held if not c.nullable and c.name not in hints]
            unfilled = [c for c in unfilled if c not in DLT_COLUMNS]
            if unfilled:
                found.append((mapping.dataset, table, unfilled))
    return found


def table_hints(compiled: Any) -> list[tuple[str, dict[str, Any]]]:
    """(table, dlt column hints) of a compiled mapping's table and each of its child tables."""
    return [(compiled.table, compiled.column_hints)] + [
        (child.table, child.column_hints) for child in compiled.children
    ]


def hint_type(hint: Mapping[str, Any]) -> str:
    """A dlt column hint's type in the specs' spelling (`decimal(18,2)`, `boolean`, ...)."""
    data_type = hint.get("data_type", "text")
    if data_type == "decimal":
        return f"decimal({hint.get('precision')},{hint.get('scale')})"
    return "boolean" if data_type == "bool" else str(data_type)


def _compare(dataset: str, table: str, want: _Wanted, held: list[TableColumn] | None) -> TablePlan:
    result = TablePlan(dataset, table, sorted(want.specs))
    if held is None:
        result.exists = False
        result.add = list(want.columns.items())
        return result
    have = {column.name: column for column in held}
    for name, type_ in want.columns.items():
        column = have.get(name)
        if column is None:
            result.add.append((name, type_))
        elif column.type != type_:
            result.changes.append(TypeChange(name, column.type, type_))
    result.unmapped = [
        (c.name, c.type) for c in held if c.name not in want.columns and c.name not in DLT_COLUMNS
    ]
    return result


def describe(plans: Iterable[TablePlan]) -> list[str]:
    """Lines a person reads: one per change, grouped by table; nothing for tables in line."""
    lines = []
    for item in plans:
        if not item.changed:
            continue
        if not item.exists:
            lines.append(f"{item.name}: new table ({len(item.add)} columns), made by the next sync")
            continue
        lines.append(f"{item.name}:")
        lines += [f"  + {c} {t}: added by the next sync or remap" for c, t in item.add]
        lines += [
            f"  ~ {c.column} {c.warehouse} -> {c.spec}: run `intsync remap --table "
            f"{item.table}` to rebuild the table with the new type"
            for c in item.changes
        ]
        lines += [
            f"  - {c} {t}: no spec maps it any more; kept (drop it with `intsync remap "
            f"--table {item.table} --drop-unmapped`)"
            for c, t in item.unmapped
        ]
    return lines
