"""The fields each integration's resources have been seen to carry, so that a sync can tell which
fields are new (see pipelines.fieldwatch)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from warehouse.store.base import StoreBase
from warehouse.store.schema import seen_fields
from warehouse.store.types import utcnow


class SeenFieldsMixin(StoreBase):
    """Remembering and reading the field paths seen per integration and resource."""

    def seen_fields(self, integration_id: str, resource: str) -> set[str]:
        """The field paths (`shipping.phone`) an integration's resource has carried so far."""
        query = select(seen_fields.c.path).where(
            seen_fields.c.integration_id == integration_id, seen_fields.c.resource == resource
        )
        with self._read() as conn:
            return {path for (path,) in conn.execute(query)}

    def remember_fields(
        self, integration_id: str, resource: str, paths: Iterable[str], run_id: str | None
    ) -> None:
        """Add field paths seen by a run (those known already are left as they were)."""
        now = utcnow()
        rows = [
            {
                "integration_id": integration_id,
                "resource": resource,
                "path": path,
                "first_seen_at": now,
                "run_id": run_id,
            }
            for path in sorted(set(paths))
        ]
        if not rows:
            return
        with self._write() as conn:
            conn.execute(self._insert(seen_fields).on_conflict_do_nothing(), rows)
