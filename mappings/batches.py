"""Columns computed together: one Arrow conversion per group instead of one per column, since
a page has only ~100 rows and each conversion has a fixed cost."""

from __future__ import annotations

from itertools import chain
from typing import Any

import pyarrow as pa

from mappings.arrowcast import Errors
from mappings.expr_eval import Page
from mappings.plans import FieldPlan, with_currency

Group = tuple[str, Any, list[FieldPlan]]


def batch_groups(plans: list[FieldPlan]) -> list[Group]:
    """Columns computed together, worked out once: plain text columns, plain boolean columns,
    and money columns that share a currency (amount, amount_captured, amount_refunded)."""
    groups: list[Group] = []
    for arrow_type in (pa.string(), pa.bool_()):
        group = [p for p in plans if p.direct and p.arrow_type == arrow_type]
        if len(group) > 1:
            groups.append(("direct", arrow_type, group))
    money: dict[Any, list[FieldPlan]] = {}
    for plan in plans:
        if plan.money_key is not None:
            money.setdefault(plan.money_key, []).append(plan)
    groups += [("money", group[0], group) for group in money.values() if len(group) > 1]
    return groups


def run_batched(groups: list[Group], page: Page) -> dict[str, tuple[pa.Array, Errors, Any]]:
    """The grouped columns, one conversion per group instead of one per column (a page has only
    ~100 rows, so the per-call cost counts). A group that a value refuses is left to the
    columns' own runs, which say which value."""
    done: dict[str, tuple[pa.Array, Errors, Any]] = {}
    size = page.size
    if not size:
        return done
    for kind, detail, group in groups:
        found = [p.raw(page) for p in group]
        if any(errors for _, errors in found):
            continue  # a reference in neither shape: the column's own run names it
        raws = [values for values, _ in found]
        values = list(chain.from_iterable(raws))
        try:
            if kind == "direct":
                whole = pa.array(values, detail)
            else:
                whole = _money_batch(detail, values, len(group), page)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            continue
        if whole is None:
            continue
        for index, (plan, raw) in enumerate(zip(group, raws, strict=True)):
            done[plan.name] = (whole.slice(index * size, size), {}, raw)
    return done


def _money_batch(first: FieldPlan, values: list[Any], count: int, page: Page) -> Any:
    assert first._currency_path is not None
    currency = page.extractor.column(first._currency_path)
    options = with_currency(first._options, currency, page.memo, repeat=count)
    out, errors = first._steps[0].run(values, options)
    if errors or not isinstance(out, pa.Array) or out.type != first.arrow_type:
        return None
    return out
