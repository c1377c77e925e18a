"""High-water marks read with `>=`: the mark plus the ids already taken at exactly that mark.

Providers filter on whole seconds (`created[gte]`, `updated_at >= ...`). Reading with `>` would
miss objects stamped in the same second after the last read; reading with `>=` alone returns that
second's objects again. A `Boundary` keeps the ids taken at the mark, so the next read skips
exactly those and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Boundary:
    """A mark (unix seconds, or any ordered value) and the ids taken at exactly that mark."""

    value: Any = None
    ids: set[str] = field(default_factory=set)

    @classmethod
    def restore(cls, value: Any, ids: Iterable[str] | None) -> Boundary:
        """From saved state; ids without a mark mean nothing."""
        return cls(value, set(ids or ()) if value is not None else set())

    def taken(self, value: Any, object_id: str) -> bool:
        """Whether (value, id) was already taken by the read that saved this boundary."""
        return value == self.value and object_id in self.ids

    def see(self, value: Any, object_id: str) -> None:
        """Move the mark up to `value` (taking `object_id` there) or add `object_id` at it."""
        if value is None:
            return
        if self.value is None or value > self.value:
            self.value = value
            self.ids = {object_id}
        elif value == self.value:
            self.ids.add(object_id)

    def saved_ids(self) -> list[str]:
        """The ids at the mark, sorted, for JSON state."""
        return sorted(self.ids)
