"""A validated spec: what the loader hands the compiler. Built only by mappings.parse_spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mappings.expr_parse import Node
from mappings.paths import SourcePath
from mappings.types import ColumnType

ADDED_COLUMNS = ("tenant_id", "venue_id", "integration_id", "_synced_at", "_deleted_at")
CHILD_COLUMNS = ("parent_id", "position")
EXTRA_COLUMN = "_extra"
CONTEXT_KEYS = ("tenant_id", "venue_id", "integration_id", "provider", "synced_at")


@dataclass(frozen=True)
class Loc:
    """Where something was written: file as the user named it, 1-based line and column."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class FieldSpec:
    """One output column and how to compute it from a record."""

    name: str
    loc: Loc
    type: ColumnType
    paths: tuple[SourcePath, ...] = ()
    ref_key: str | None = None  # paths hold references: a bare id or an object with this key
    context: str | None = None
    const: Any = None
    has_const: bool = False
    expr: Node | None = None
    expr_text: str = ""
    transforms: tuple[str, ...] = ()
    value_map: dict[Any, Any] | None = None
    default: Any = None
    nullable: bool = True
    currency_path: SourcePath | None = None
    currency: str | None = None
    exponents: dict[str, int] | None = None
    description: str = ""

    @property
    def source_text(self) -> str:
        """How the value is found, in the spec's own words (for previews and docs)."""
        if self.expr is not None:
            return f"expr: {self.expr_text}"
        if self.has_const:
            return f"const: {self.const!r}"
        if self.context:
            return f"${self.context}"
        paths = " | ".join(p.text for p in self.paths)
        return paths if self.ref_key is None else f"ref: {paths} (id in '{self.ref_key}')"


@dataclass(frozen=True, eq=False)
class ChildSpec:
    """An array in each record, written as its own table keyed to the parent row."""

    name: str
    loc: Loc
    path: SourcePath
    table: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    where: Node | None = None
    description: str = ""


@dataclass(frozen=True, eq=False)
class Spec:
    """One table's mapping from one provider resource (staging) or into a core table."""

    path: str
    provider: str
    resource: str
    table: str
    dataset: str
    primary_key: tuple[str, ...]
    write_disposition: str
    fields: tuple[FieldSpec, ...]
    children: tuple[ChildSpec, ...] = ()
    where: Node | None = None
    where_text: str = ""
    unmapped: str = "drop"
    description: str = ""
    venue_id: str | None = None
    files: tuple[str, ...] = field(default=())
    # a content hash of `files` (see RawSpec.version): which version of the spec mapped a row
    version: str = ""
    # where the loader found it: "shipped" (inside intsync) or "team" (the INTSYNC_SPECS folder,
    # or any other file or folder a user names)
    origin: str = "team"

    @property
    def name(self) -> str:
        """`staging.stripe_charges`, `core.payments (stripe charges)`."""
        if self.dataset == "core":
            return f"core.{self.table} ({self.provider} {self.resource})"
        return f"{self.dataset}.{self.table}"

    def field(self, name: str) -> FieldSpec | None:
        """The field that writes column `name`, if any."""
        return next((f for f in self.fields if f.name == name), None)
