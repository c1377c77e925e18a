"""The replay cache for internal service auth: a nonce is accepted once until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update

from warehouse.store.base import StoreBase
from warehouse.store.schema import service_nonces
from warehouse.store.types import utcnow

PRUNE_EVERY = 200


class NoncesMixin(StoreBase):
    """Remembering nonces."""

    _nonce_calls = 0

    def remember_nonce(self, service: str, nonce: str, expires_at: datetime) -> bool:
        """True the first time `nonce` is seen for `service` (or after it expired), else False."""
        now = utcnow()
        statement = (
            self._insert(service_nonces)
            .values(service=service, nonce=nonce, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["service", "nonce"])
        )
        self._nonce_calls += 1
        with self._write() as conn:
            fresh = conn.execute(statement).rowcount == 1
            if not fresh:
                # Seen before: accept only if that sighting has expired, and start a new one.
                reused = conn.execute(
                    update(service_nonces)
                    .where(
                        service_nonces.c.service == service,
                        service_nonces.c.nonce == nonce,
                        service_nonces.c.expires_at <= now,
                    )
                    .values(expires_at=expires_at)
                )
                fresh = reused.rowcount == 1
            if self._nonce_calls % PRUNE_EVERY == 0:
                conn.execute(delete(service_nonces).where(service_nonces.c.expires_at <= now))
        return fresh

    def prune_nonces(self) -> int:
        """Delete expired nonces now; how many."""
        with self._write() as conn:
            result = conn.execute(
                delete(service_nonces).where(service_nonces.c.expires_at <= utcnow())
            )
            return int(result.rowcount)
