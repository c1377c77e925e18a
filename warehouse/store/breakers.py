"""Circuit breaker state, shared by every process that talks to a provider."""

from __future__ import annotations

from sqlalchemy import select

from warehouse.errors import StoreError
from warehouse.store.base import StoreBase
from warehouse.store.models import BREAKER_STATES, BreakerState
from warehouse.store.schema import circuit_breakers
from warehouse.store.types import utcnow


class BreakersMixin(StoreBase):
    """Reading and saving breaker states by name."""

    def get_breaker(self, name: str) -> BreakerState | None:
        """The breaker's last saved state, or None if it was never saved."""
        with self._read() as conn:
            row = (
                conn.execute(select(circuit_breakers).where(circuit_breakers.c.name == name))
                .mappings()
                .first()
            )
        return BreakerState(**row) if row is not None else None

    def save_breaker(self, state: BreakerState) -> None:
        """Insert or replace the breaker's state (updated_at defaults to now)."""
        if state.state not in BREAKER_STATES:
            raise StoreError(
                f"breaker state {state.state!r} is not one of {', '.join(BREAKER_STATES)}"
            )
        values = {
            "state": state.state,
            "consecutive_failures": state.consecutive_failures,
            "opened_at": state.opened_at,
            "updated_at": state.updated_at or utcnow(),
        }
        statement = (
            self._insert(circuit_breakers)
            .values(name=state.name, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )
        with self._write() as conn:
            conn.execute(statement)

    def list_breakers(self) -> list[BreakerState]:
        """Every saved breaker, by name."""
        with self._read() as conn:
            found = conn.execute(select(circuit_breakers).order_by(circuit_breakers.c.name))
            return [BreakerState(**row) for row in found.mappings()]
