"""A spec compiled once into a CompiledMapping whose map_page turns a page of records into
Arrow tables, column by column; the YAML is never consulted again."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mappings.assemble import Context, columns_for, hints_of, schema_of
from mappings.batches import batch_groups
from mappings.errors import MappingError
from mappings.expr_eval import compile_expression
from mappings.expr_parse import Node, PathRef, walk
from mappings.model import CONTEXT_KEYS, ChildSpec, Incremental, Spec
from mappings.page import MappedPage
from mappings.plans import FieldPlan, fetch_plan
from mappings.runpage import run_page, used_roots
from mappings.types import TEXT, ColumnType

_CACHE: weakref.WeakKeyDictionary[Spec, dict[str, CompiledMapping]] = weakref.WeakKeyDictionary()
REQUIRED_CONTEXT = ("tenant_id", "venue_id", "integration_id", "synced_at")


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


class CompiledMapping:
    """One spec, compiled: the table's identity, schema, dlt hints, and `map_page`."""

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
        self.incremental: Incremental | None = spec.incremental
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
        self._last_context: tuple[tuple[Any, ...], Context] | None = None

    def map_page(
        self,
        records: list[dict[str, Any]],
        context: dict[str, Any],
        deleted_at: list[str | None] | None = None,
    ) -> MappedPage:
        """Map one page: rows for the main and child tables, and quarantined records."""
        missing = [k for k in REQUIRED_CONTEXT if context.get(k) in (None, "")]
        if missing:
            raise MappingError(
                f"map_page needs context {', '.join(missing)} "
                f"(got {', '.join(sorted(context)) or 'none'})"
            )
        if deleted_at is not None and len(deleted_at) != len(records):
            raise MappingError(
                f"deleted_at has {len(deleted_at)} entries for "
                f"{len(records)} records: give one per record"
            )
        with gc_paused():
            return run_page(self, records, self._context(context), deleted_at)

    def _context(self, context: dict[str, Any]) -> Context:
        key = tuple(context.get(k) for k in CONTEXT_KEYS)
        if self._last_context is None or self._last_context[0] != key:
            self._last_context = (key, Context(context, self.provider))
        return self._last_context[1]

    def __repr__(self) -> str:
        return f"<CompiledMapping {self.dataset}.{self.table} from {self.spec.path}>"


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cycle collection while a page is mapped. Mapping makes no reference cycles, but it
    allocates enough to trigger collections that would move the page's records (alive until the
    caller drops the page) into the oldest generation, where they cost full collections of the
    whole heap later: measured, about a third of the mapping time in bench/mapping.py."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _expr_paths(node: Node | None) -> list[tuple[Any, ...]]:
    if node is None:
        return []
    return [n.path.segments for n in walk(node) if isinstance(n, PathRef)]


def compile_spec(spec: Spec, hash_salt: str = "") -> CompiledMapping:
    """Compile `spec` (cached per spec and salt: compiling again returns the same object)."""
    by_salt = _CACHE.setdefault(spec, {})
    compiled = by_salt.get(hash_salt)
    if compiled is None:
        compiled = CompiledMapping(spec, hash_salt.encode())
        by_salt[hash_salt] = compiled
    return compiled
