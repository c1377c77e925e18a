"""Child tables: the arrays inside a page's records, mapped as rows keyed to their parent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from mappings.assemble import Context
from mappings.batches import run_batched
from mappings.compiled import CompiledChild
from mappings.expr_eval import Page
from mappings.paths import Extractor

Bad = dict[int, tuple[str, Any, str]]  # parent row -> (column, value, reason)


def head_columns(dataset: str) -> list[str]:
    """The context columns at the front of every table of `dataset`."""
    names = ["tenant_id", "venue_id", "integration_id"]
    return names + ["provider"] if dataset == "core" else names


def child_rows(
    child: CompiledChild, page: Page, bad: Bad, ctx: Context
) -> tuple[list[pa.Array], np.ndarray, list[int]]:
    """The child rows of a page: arrays of the child's fields, each row's parent row, and its
    position in the parent's array. Problems are recorded against the parent row in `bad`."""
    elements: list[Any] = []
    parents: list[int] = []
    positions: list[int] = []
    for row, items in enumerate(page.extractor.column(child.path)):
        if items.__class__ is list and items:
            for position, item in enumerate(items):
                elements.append(item if item.__class__ is dict else {"value": item})
                parents.append(row)
                positions.append(position)
    if not elements:
        return [], np.empty(0, dtype=np.int64), positions
    child_page = Page(Extractor(elements, child.fetch), len(elements), ctx.plain)
    if child.where is not None:
        values, errors = child.where(child_page)
        for crow, reason in errors.items():
            bad.setdefault(parents[crow], (f"{child.name}: where", elements[crow], reason))
        keep = [crow for crow, value in enumerate(values) if value is True]
        if len(keep) != len(elements):
            elements = [elements[c] for c in keep]
            parents = [parents[c] for c in keep]
            positions = [positions[c] for c in keep]
            child_page = Page(Extractor(elements, child.fetch), len(elements), ctx.plain)
    arrays = []
    batched = run_batched(child.groups, child_page)
    for plan in child.plans:
        done = batched.get(plan.name)
        array, errors, raw = done if done is not None else plan.run(child_page)
        for crow, reason in errors.items():
            bad.setdefault(parents[crow], (f"{child.name}.{plan.name}", raw[crow], reason))
        if plan.required and array.null_count:
            for crow in np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False)).tolist():
                reason = f"column '{plan.name}' of {child.table} is empty"
                bad.setdefault(parents[crow], (f"{child.name}.{plan.name}", raw[crow], reason))
        arrays.append(array)
    return arrays, np.asarray(parents, dtype=np.int64), positions


def child_table(
    child: CompiledChild,
    rows: tuple[list[pa.Array], np.ndarray, list[int]],
    key: pa.Array,
    deleted: pa.Array,
    ctx: Context,
    dataset: str,
) -> pa.Table:
    """The child table of a page from child_rows' result and the parent table's key column."""
    arrays, parents, positions = rows
    size = len(positions)
    if not size:
        return child.empty
    index = pa.array(parents, pa.int64())
    head = [ctx.column(name, size) for name in head_columns(dataset)]
    gone = (
        deleted.take(index) if deleted.null_count < len(deleted) else pa.nulls(size, deleted.type)
    )
    columns = (
        head
        + [key.take(index), pa.array(positions, pa.int64())]
        + arrays
        + [ctx.column("_synced_at", size), gone]
    )
    return pa.Table.from_arrays(columns, schema=child.arrow_schema)
