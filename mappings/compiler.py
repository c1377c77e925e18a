"""A spec compiled once into a CompiledMapping whose map_page turns a page of records into
Arrow tables, column by column; the YAML is never consulted again."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mappings.assemble import Context
from mappings.compiled import CompiledSpec
from mappings.errors import MappingError
from mappings.model import CONTEXT_KEYS, Spec
from mappings.page import MappedPage
from mappings.runpage import run_page

_CACHE: weakref.WeakKeyDictionary[Spec, dict[str, CompiledMapping]] = weakref.WeakKeyDictionary()
REQUIRED_CONTEXT = ("tenant_id", "venue_id", "integration_id", "synced_at")


class CompiledMapping(CompiledSpec):
    """One spec, compiled: the table's identity, schema, dlt hints, and `map_page`."""

    def __init__(self, spec: Spec, salt: bytes) -> None:
        super().__init__(spec, salt)
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


def compile_spec(spec: Spec, hash_salt: str = "") -> CompiledMapping:
    """Compile `spec` (cached per spec and salt: compiling again returns the same object)."""
    by_salt = _CACHE.setdefault(spec, {})
    compiled = by_salt.get(hash_salt)
    if compiled is None:
        compiled = CompiledMapping(spec, hash_salt.encode())
        by_salt[hash_salt] = compiled
    return compiled
