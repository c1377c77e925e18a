"""The columns intsync adds to every mapped table, the Arrow schema and the dlt hints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from mappings.arrowcast import to_arrow
from mappings.errors import MappingError
from mappings.model import EXTRA_COLUMN
from mappings.plans import FieldPlan
from mappings.types import BIGINT, JSON, TEXT, TIMESTAMP, ColumnType

Column = tuple[str, ColumnType, bool]  # name, type, nullable
_TS = TIMESTAMP.arrow


def columns_for(
    plans: Sequence[FieldPlan],
    core: bool,
    primary_key: list[str],
    keep_json: bool = False,
    parent_type: ColumnType | None = None,
) -> list[Column]:
    """Every column of a table in order: context columns, (parent key), fields, bookkeeping."""
    head: list[Column] = [
        ("tenant_id", TEXT, False),
        ("venue_id", TEXT, False),
        ("integration_id", TEXT, False),
    ]
    if core:
        head.append(("provider", TEXT, False))
    if parent_type is not None:
        head += [("parent_id", parent_type, False), ("position", BIGINT, False)]
    body = [(p.name, p.type, p.nullable and p.name not in primary_key) for p in plans]
    tail: list[Column] = [(EXTRA_COLUMN, JSON, True)] if keep_json else []
    tail += [("_synced_at", TIMESTAMP, False), ("_deleted_at", TIMESTAMP, True)]
    return head + body + tail


def schema_of(columns: list[Column]) -> pa.Schema:
    """The Arrow schema of a column list."""
    return pa.schema(
        [pa.field(name, kind.arrow, nullable=nullable) for name, kind, nullable in columns]
    )


def hints_of(columns: list[Column], primary_key: list[str]) -> dict[str, dict[str, Any]]:
    """dlt column hints: data_type (+ precision/scale/timezone), nullable, primary_key."""
    hints: dict[str, dict[str, Any]] = {}
    for name, kind, nullable in columns:
        hint = kind.dlt_hint()
        hint["nullable"] = nullable
        if name in primary_key:
            hint["primary_key"] = True
        hints[name] = hint
    return hints


class Context:
    """One page's context values as Arrow scalars, checked once per page."""

    def __init__(self, context: dict[str, Any], provider: str) -> None:
        synced = context["synced_at"]
        if isinstance(synced, str):
            synced = datetime.fromisoformat(synced)
        if not isinstance(synced, datetime):
            raise MappingError(f"context synced_at must be a datetime, not {synced!r}")
        if synced.tzinfo is None:
            synced = synced.replace(tzinfo=UTC)
        self.values = {
            "tenant_id": pa.scalar(str(context["tenant_id"]), pa.string()),
            "venue_id": pa.scalar(str(context["venue_id"]), pa.string()),
            "integration_id": pa.scalar(str(context["integration_id"]), pa.string()),
            "provider": pa.scalar(provider, pa.string()),
            "_synced_at": pa.scalar(synced, _TS),
        }
        self._columns: dict[tuple[str, int], pa.Array] = {}
        self.plain = {
            **context,
            "synced_at": synced.astimezone(UTC),
            "provider": context.get("provider") or provider,
        }

    def column(self, name: str, size: int) -> pa.Array:
        """A context column repeated for `size` rows (kept: pages are mostly one size)."""
        found = self._columns.get((name, size))
        if found is None:
            found = self._columns[(name, size)] = pa.repeat(self.values[name], size)
        return found


_NO_DELETES: dict[int, pa.Array] = {}


def deleted_column(deleted_at: list[str | None] | None, size: int) -> pa.Array:
    """_deleted_at from the connector's per-record deletion times (ISO 8601) or all null."""
    if deleted_at is None or deleted_at.count(None) == len(deleted_at):
        found = _NO_DELETES.get(size)
        if found is None:
            found = _NO_DELETES[size] = pa.nulls(size, _TS)
        return found
    array, errors = to_arrow(list(deleted_at), TIMESTAMP)
    if errors:
        row, reason = next(iter(errors.items()))
        raise MappingError(f"deleted_at[{row}] is not a timestamp: {reason}")
    return array
