"""Dead letters: work given up on after its retries, kept for a person to inspect or replay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select

from warehouse.errors import NotFoundError
from warehouse.store.base import StoreBase
from warehouse.store.models import DeadLetter
from warehouse.store.schema import dead_letters
from warehouse.store.types import utcnow


class DeadLettersMixin(StoreBase):
    """Adding, reading and clearing dead letters."""

    def add_dead_letter(
        self,
        *,
        kind: str,
        integration_id: str | None,
        payload: dict[str, Any],
        reason: str,
        attempts: int,
    ) -> int:
        """Keep a failed piece of work (`kind` e.g. webhook or sync); its id."""
        with self._write() as conn:
            result = conn.execute(
                insert(dead_letters).values(
                    kind=kind,
                    integration_id=integration_id,
                    payload=payload,
                    reason=reason,
                    attempts=attempts,
                    created_at=utcnow(),
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT of one row
            return int(key[0])

    def list_dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """Newest first."""
        query = select(dead_letters).order_by(dead_letters.c.id.desc()).limit(max(0, limit))
        with self._read() as conn:
            return [DeadLetter(**row) for row in conn.execute(query).mappings()]

    def count_dead_letters(self) -> int:
        """How many dead letters wait."""
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(dead_letters)) or 0)

    def get_dead_letter(self, id: int) -> DeadLetter:
        """One dead letter; NotFoundError when there is none."""
        with self._read() as conn:
            row = (
                conn.execute(select(dead_letters).where(dead_letters.c.id == id)).mappings().first()
            )
        if row is None:
            raise NotFoundError(f"no dead letter {id}: see the monitoring dlq route for the list")
        return DeadLetter(**row)

    def delete_dead_letter(self, id: int) -> None:
        """Remove a dead letter (after replaying or dismissing it); NotFoundError if absent."""
        with self._write() as conn:
            if conn.execute(delete(dead_letters).where(dead_letters.c.id == id)).rowcount == 0:
                raise NotFoundError(f"no dead letter {id}: already replayed or dismissed?")
