"""Circuit breakers whose state lives in the operational store, so every process sees the same one.

closed     calls go through; each failure adds one to `consecutive_failures`, a success resets it
open       reached after `failures` consecutive failures: calls are refused until `cooldown`
           seconds have passed since `opened_at`
half_open  after the cool-down, calls go through as trials: a success closes the breaker, a
           failure opens it again for another cool-down

Names: `provider:<provider>` (the provider itself is failing, for every account) and
`integration:<id>` (one account is failing). Resetting writes `closed` with no failures; that is
all the monitoring route and `intsync breakers reset` do.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from warehouse.errors import StoreError
from warehouse.store.models import BreakerState
from warehouse.store.types import utcnow

DEFAULT_FAILURES = 5
DEFAULT_COOLDOWN = 300.0


class BreakerOpenError(StoreError):
    """The breaker refuses calls until its cool-down ends: wait, or reset it once fixed."""

    retriable = False

    def __init__(self, state: BreakerState, retry_at: datetime) -> None:
        super().__init__(
            f"circuit breaker {state.name!r} is open after {state.consecutive_failures} "
            f"consecutive failures; it lets a trial through at {retry_at.isoformat()} "
            f"(reset it with `intsync breakers reset {state.name}` once the cause is fixed)"
        )
        self.state = state
        self.retry_at = retry_at


@dataclass(frozen=True)
class BreakerPolicy:
    """When a breaker opens (`failures` in a row) and how long it stays open (`cooldown` s)."""

    failures: int = DEFAULT_FAILURES
    cooldown: float = DEFAULT_COOLDOWN

    @classmethod
    def from_env(cls) -> BreakerPolicy:
        """INTSYNC_BREAKER_FAILURES and INTSYNC_BREAKER_COOLDOWN_SECONDS, else the defaults."""
        failures = os.environ.get("INTSYNC_BREAKER_FAILURES") or str(DEFAULT_FAILURES)
        cooldown = os.environ.get("INTSYNC_BREAKER_COOLDOWN_SECONDS") or str(DEFAULT_COOLDOWN)
        try:
            policy = cls(int(failures), float(cooldown))
        except ValueError:
            raise StoreError(
                f"INTSYNC_BREAKER_FAILURES={failures!r} / INTSYNC_BREAKER_COOLDOWN_SECONDS="
                f"{cooldown!r}: expected a whole number and a number of seconds"
            ) from None
        if policy.failures < 1 or policy.cooldown < 0:
            raise StoreError(
                f"INTSYNC_BREAKER_FAILURES={failures!r} must be at least 1 and "
                f"INTSYNC_BREAKER_COOLDOWN_SECONDS={cooldown!r} not negative"
            )
        return policy


class CircuitBreaker:
    """One named breaker over a store (anything with get_breaker/save_breaker)."""

    def __init__(self, store: object, name: str, policy: BreakerPolicy | None = None) -> None:
        self.store = store
        self.name = name
        self.policy = policy or BreakerPolicy.from_env()

    def state(self) -> BreakerState:
        """The saved state (closed when never saved)."""
        return self.store.get_breaker(self.name) or BreakerState(self.name)  # type: ignore[attr-defined]

    def check(self, now: datetime | None = None) -> BreakerState:
        """Raise BreakerOpenError while open; after the cool-down, move to half_open and allow."""
        now = now or utcnow()
        state = self.state()
        if state.state != "open":
            return state
        retry_at = (state.opened_at or now) + timedelta(seconds=self.policy.cooldown)
        if now < retry_at:
            raise BreakerOpenError(state, retry_at)
        trial = BreakerState(self.name, "half_open", state.consecutive_failures, state.opened_at)
        self._save(trial, now)
        return trial

    def record_success(self, now: datetime | None = None) -> None:
        """A call went through: close the breaker and forget failures."""
        state = self.state()
        if state.state != "closed" or state.consecutive_failures:
            self._save(BreakerState(self.name, "closed", 0, None), now or utcnow())

    def record_failure(self, now: datetime | None = None) -> BreakerState:
        """A call failed: count it; open at the threshold, or again when a trial failed."""
        now = now or utcnow()
        state = self.state()
        failures = state.consecutive_failures + 1
        if state.state == "half_open" or failures >= self.policy.failures:
            new = BreakerState(self.name, "open", failures, now)
        else:
            new = BreakerState(self.name, state.state, failures, state.opened_at)
        self._save(new, now)
        return new

    def _save(self, state: BreakerState, now: datetime) -> None:
        self.store.save_breaker(  # type: ignore[attr-defined]
            BreakerState(state.name, state.state, state.consecutive_failures, state.opened_at, now)
        )


class UnknownBreakerError(StoreError):
    """No breaker has that name: fix the name (the message lists the known ones)."""

    retriable = False


def known_breakers(store: object, providers: Iterable[str]) -> list[str]:
    """The names a breaker can have here: `provider:<p>` for each of `providers`,
    `integration:<id>` for each stored integration, and any breaker saved under another name."""
    names = [f"provider:{p}" for p in providers]
    names += [f"integration:{i.id}" for i in store.list_integrations()]  # type: ignore[attr-defined]
    names += [b.name for b in store.list_breakers()]  # type: ignore[attr-defined]
    return sorted(set(names))


def check_breaker_name(name: str, known: list[str]) -> None:
    """Raise UnknownBreakerError (with a did-you-mean) unless `name` is one of `known`."""
    if name in known:
        return
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(known) if len(known) <= 12 else ", ".join(known[:12]) + ", ..."
    raise UnknownBreakerError(
        f"no breaker named {name!r}{hint}: breakers are provider:<provider> or "
        f"integration:<id>; known here: {listed or 'none'}"
    )


def reset_breaker(store: object, name: str) -> BreakerState:
    """Close breaker `name` and clear its failures; the new state."""
    state = BreakerState(name, "closed", 0, None, utcnow())
    store.save_breaker(state)  # type: ignore[attr-defined]
    return state


def provider_breaker(store: object, provider: str) -> CircuitBreaker:
    """The breaker of a whole provider."""
    return CircuitBreaker(store, f"provider:{provider}")


def integration_breaker(store: object, integration_id: str) -> CircuitBreaker:
    """The breaker of one integration (one provider account)."""
    return CircuitBreaker(store, f"integration:{integration_id}")
