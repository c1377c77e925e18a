"""What a spec compiles to: a table's read plans, Arrow schema and dlt hints, and its child
tables'. The types runpage and children read; compiler adds `map_page` on top."""

from __future__ import annotations

from typing import Any

from mappings.assemble import columns_for, hints_of, schema_of
from mappings.batches import batch_groups
from mappings.expr_eval import compile_expression
from mappings.expr_parse import Node, PathRef, walk
from mappings.model import ChildSpec, Spec
from mappings.plans import FieldPlan, fetch_plan
from mappings.types import TEXT, ColumnType


class CompiledChild:
    """A child table's compiled mapping: rows come from an array inside each parent record."""

    def __init__(
        self, child: ChildSpec, parent: Spec, parent_type: ColumnType, salt: bytes
    ) -> None:
        self.name = child.name
        self.dataset = parent.dataset
        self.table = child.table
        self.write_disposition = parent.write_disposition
        self.parent_table = parent.table
        self.parent_key = ["parent_id"]
        self.path = child.path.segments
        self.plans = [FieldPlan(f, salt) for f in child.fields]
        for plan in self.plans:
            plan.required = plan.required or plan.name in child.primary_key
        self.where = compile_expression(child.where) if child.where is not None else None
        self.fetch = fetch_plan(self.plans, _expr_paths(child.where))
        self.groups = batch_groups(self.plans)
        core = parent.dataset == "core"
        base = ["venue_id", "provider"] if core else ["venue_id"]
        self.primary_key = base + (list(child.primary_key) or ["parent_id", "position"])
        columns = columns_for(self.plans, core, self.primary_key, parent_type=parent_type)
        self.arrow_schema = schema_of(columns)
        self.column_hints = hints_of(columns, self.primary_key)
        self.children: list[CompiledChild] = []
        self.empty = self.arrow_schema.empty_table()


class CompiledSpec:
    """One spec, compiled: the table's identity, schema, dlt hints and read plans."""

    def __init__(self, spec: Spec, salt: bytes) -> None:
        self.spec = spec
        self.hash_salt = salt
        self.dataset = spec.dataset
        self.table = spec.table
        self.provider = spec.provider
        self.resource = spec.resource
        self.write_disposition = spec.write_disposition
        core = spec.dataset == "core"
        self.primary_key = (["venue_id", "provider"] if core else ["venue_id"]) + list(
            spec.primary_key
        )
        self.plans = [FieldPlan(f, salt) for f in spec.fields]
        for plan in self.plans:
            plan.required = plan.required or plan.name in spec.primary_key
        self.where = compile_expression(spec.where) if spec.where is not None else None
        self.fetch = fetch_plan(self.plans, [c.path.segments for c in spec.children])
        self.groups = batch_groups(self.plans)
        self.keep_json = spec.unmapped == "keep_json"
        columns = columns_for(self.plans, core, self.primary_key, keep_json=self.keep_json)
        self.arrow_schema = schema_of(columns)
        self.column_hints = hints_of(columns, self.primary_key)
        key_field = spec.field(spec.primary_key[0])
        key_type = key_field.type if key_field is not None else TEXT
        self.children = [CompiledChild(c, spec, key_type, salt) for c in spec.children]
        self.used_roots = used_roots(spec)


def used_roots(spec: Spec) -> frozenset[str]:
    """Top-level record keys some field, filter or child reads (the rest is 'unmapped')."""
    roots: set[str] = set()
    for field in spec.fields:
        roots.update(p.root for p in field.paths)
        if field.currency_path is not None:
            roots.add(field.currency_path.root)
        if field.expr is not None:
            roots.update(n.path.root for n in walk(field.expr) if isinstance(n, PathRef))
    if spec.where is not None:
        roots.update(n.path.root for n in walk(spec.where) if isinstance(n, PathRef))
    roots.update(child.path.root for child in spec.children)
    return frozenset(roots)


def _expr_paths(node: Node | None) -> list[tuple[Any, ...]]:
    if node is None:
        return []
    return [n.path.segments for n in walk(node) if isinstance(n, PathRef)]
