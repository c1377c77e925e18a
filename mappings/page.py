"""What mapping one page gives back: the Arrow tables and the rows set aside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class QuarantinedRow:
    """A record that could not be mapped whole: which spec, which column, the value, and why.
    The record appears in no table of the page (its child rows are held back too)."""

    spec_path: str
    table: str
    record_id: str | None
    field: str
    value: Any
    reason: str
    record: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A plain dict for JSON output and quarantine tables."""
        return {
            "spec_path": self.spec_path,
            "table": self.table,
            "record_id": self.record_id,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
            "record": self.record,
        }


@dataclass
class MappedPage:
    """One page mapped: the main table, child tables by name, and quarantined records."""

    table: pa.Table
    children: dict[str, pa.Table] = field(default_factory=dict)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    filtered: int = 0  # records left out by `where:`
