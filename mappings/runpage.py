"""Mapping one page: filter, compute every column, set aside records that cannot be mapped,
then assemble the main and child tables."""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from mappings.arrowcast import Errors
from mappings.assemble import Context, deleted_column
from mappings.batches import run_batched
from mappings.children import child_rows, child_table, head_columns
from mappings.compiled import CompiledSpec
from mappings.expr_eval import Page
from mappings.page import MappedPage, QuarantinedRow
from mappings.paths import Extractor

Bad = dict[int, tuple[str, Any, str]]  # row -> (column, value, reason)


def run_page(
    mapping: CompiledSpec,
    records: list[dict[str, Any]],
    ctx: Context,
    deleted_at: list[str | None] | None,
) -> MappedPage:
    """The whole of map_page once its arguments are checked."""
    quarantined: list[QuarantinedRow] = []
    filtered = 0
    if mapping.where is not None and records:
        records, deleted_at, filtered = _where(mapping, records, deleted_at, ctx, quarantined)
    size = len(records)
    page = Page(Extractor(records, mapping.fetch), size, ctx.plain)
    bad: Bad = {}
    arrays, raws = _columns(
        mapping.plans, mapping.groups, page, bad, deleted_at, mapping.primary_key
    )
    deleted = deleted_column(deleted_at, size)
    children = [(child, child_rows(child, page, bad, ctx)) for child in mapping.children]
    extra = [_extra(records, mapping.used_roots)] if mapping.keep_json else []
    head = [ctx.column(name, size) for name in head_columns(mapping.dataset)]
    columns = head + arrays + extra + [ctx.column("_synced_at", size), deleted]
    table = pa.Table.from_arrays(columns, schema=mapping.arrow_schema)
    key = arrays[[p.name for p in mapping.plans].index(mapping.spec.primary_key[0])]
    tables = {
        child.table: child_table(child, rows, key, deleted, ctx, mapping.dataset)
        for child, rows in children
    }
    if bad:
        quarantined.extend(_quarantine(mapping, records, raws, bad))
        keep = pa.array(np.isin(np.arange(size), list(bad), invert=True))
        table = table.filter(keep)
        for child, rows in children:
            tables[child.table] = tables[child.table].filter(
                pa.array(np.isin(rows[1], list(bad), invert=True))
            )
    return MappedPage(table=table, children=tables, quarantined=quarantined, filtered=filtered)


def _where(
    mapping: CompiledSpec,
    records: list[dict[str, Any]],
    deleted_at: list[str | None] | None,
    ctx: Context,
    quarantined: list[QuarantinedRow],
) -> tuple[list[dict[str, Any]], Any, int]:
    assert mapping.where is not None
    values, errors = mapping.where(Page(Extractor(records), len(records), ctx.plain))
    keep = [
        row
        for row, value in enumerate(values)
        if value is True or (deleted_at is not None and deleted_at[row] is not None)
    ]
    for row, reason in errors.items():
        quarantined.append(
            QuarantinedRow(
                mapping.spec.path,
                mapping.table,
                _record_id(records[row]),
                "where",
                mapping.spec.where_text,
                reason,
                records[row],
            )
        )
    filtered = len(records) - len(keep) - len(errors)
    if len(keep) == len(records):
        return records, deleted_at, 0
    kept_deleted = None if deleted_at is None else [deleted_at[row] for row in keep]
    return [records[row] for row in keep], kept_deleted, filtered


def _columns(
    plans: list[Any],
    groups: list[Any],
    page: Page,
    bad: Bad,
    deleted_at: list[str | None] | None,
    primary_key: list[str],
) -> tuple[list[pa.Array], dict[str, list[Any]]]:
    batched = run_batched(groups, page)
    arrays: list[Any] = []
    raws: dict[str, list[Any]] = {}
    errors_of: list[Errors] = []
    deferred: list[int] = []
    for index, plan in enumerate(plans):
        done = batched.get(plan.name)
        if done is None:
            values, errors, raw = plan.values(page)
            if isinstance(values, pa.Array) and values.type == plan.arrow_type:
                done = (values, errors, raw)
            elif plan.deferrable and values.__class__ is list:
                deferred.append(index)
                done = (values, errors, raw)
            else:
                done = (plan.finish(values, errors), errors, raw)
        arrays.append(done[0])
        errors_of.append(done[1])
        raws[plan.name] = done[2]
    if deferred:
        convert_together(plans, arrays, errors_of, deferred, page.size)
    for plan, array, errors in zip(plans, arrays, errors_of, strict=True):
        raw = raws[plan.name]
        for row, reason in errors.items():
            bad.setdefault(row, (plan.name, raw[row], reason))
        if plan.required and array.null_count:
            _required(plan.name, array, raw, bad, deleted_at, plan.name in primary_key)
    return arrays, raws


def convert_together(
    plans: list[Any], arrays: list[Any], errors_of: list[Errors], deferred: list[int], size: int
) -> None:
    """Text and boolean columns whose values are ready, converted in one call per type; a type
    whose batch a value refuses is converted column by column (naming the value)."""
    for arrow_type in {plans[i].arrow_type for i in deferred}:
        indexes = [i for i in deferred if plans[i].arrow_type == arrow_type]
        try:
            whole = pa.array(list(chain.from_iterable(arrays[i] for i in indexes)), arrow_type)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            for i in indexes:
                arrays[i] = plans[i].finish(arrays[i], errors_of[i])
            continue
        for position, i in enumerate(indexes):
            arrays[i] = whole.slice(position * size, size)


def _required(
    name: str,
    array: pa.Array,
    raw: list[Any],
    bad: Bad,
    deleted_at: list[str | None] | None,
    is_key: bool,
) -> None:
    nulls = np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))
    what = "primary key column" if is_key else "column"
    for row in nulls.tolist():
        if not is_key and deleted_at is not None and deleted_at[row] is not None:
            continue
        bad.setdefault(
            row,
            (
                name,
                raw[row],
                f"{what} '{name}' is empty (nullable: false)"
                if not is_key
                else f"{what} '{name}' is empty",
            ),
        )


def _extra(records: list[dict[str, Any]], used: frozenset[str]) -> pa.Array:
    dumps = orjson.dumps
    out = []
    for record in records:
        rest = {k: v for k, v in record.items() if k not in used}
        out.append(dumps(rest, default=str) if rest else None)
    return pa.array(out, pa.string())


def _record_id(record: Any) -> str | None:
    value = record.get("id") if isinstance(record, dict) else None
    return None if value is None else str(value)


def _quarantine(
    mapping: CompiledSpec, records: list[dict[str, Any]], raws: dict[str, list[Any]], bad: Bad
) -> list[QuarantinedRow]:
    key_raw = raws.get(mapping.spec.primary_key[0])
    rows = []
    for row in sorted(bad):
        column, value, reason = bad[row]
        record_id = key_raw[row] if key_raw is not None else None
        rows.append(
            QuarantinedRow(
                spec_path=mapping.spec.path,
                table=mapping.table,
                record_id=None if record_id is None else str(record_id),
                field=column,
                value=value,
                reason=reason,
                record=records[row],
            )
        )
    return rows
