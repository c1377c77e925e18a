"""Rate budgets per provider account, shared by every sync of that account in the process.

A budget is a token bucket (requests per second or per minute) plus an optional cap on requests
in flight. `budget_for("stripe:acct_123", rate_per_second=25)` returns the one budget of that
account in this process; wrap each HTTP call in `with budget.request(): ...`.

Seam for a cross-process budget: `set_external_limiter(limiter)` installs an object whose
`acquire(key)` is called before every request (after the local bucket) and whose `slot(key)`
wraps every request (inside the local concurrency cap), e.g. Prefect global concurrency limits.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from connectors.errors import ConfigurationError


class TokenBucket:
    """Thread-safe token bucket: `rate` tokens per second, holding at most `capacity`.

    Waiters reserve their token under the lock and sleep outside it, so concurrent callers are
    served in arrival order and the long-run rate never exceeds `rate` (plus the initial burst).
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ConfigurationError(f"rate must be positive, got {rate!r}")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()
        self.granted = 0
        self.waited = 0.0

    def reserve(self, tokens: float = 1.0) -> float:
        """Take `tokens` now (possibly going into debt); return the seconds to wait before use."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= tokens
            self.granted += 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            self.waited += wait
            return wait

    def acquire(self, tokens: float = 1.0) -> float:
        """Block until `tokens` may be spent; return the seconds waited."""
        wait = self.reserve(tokens)
        if wait > 0:
            self._sleep(wait)
        return wait


class ExternalLimiter(Protocol):
    """A budget shared beyond this process (e.g. Prefect global concurrency limits)."""

    def acquire(self, key: str) -> None:
        """Block until one request of `key` may go."""
        ...

    def slot(self, key: str) -> AbstractContextManager[object]:
        """Hold one in-flight place of `key` for the duration of a request."""
        ...


_external: ExternalLimiter | None = None


def set_external_limiter(limiter: ExternalLimiter | None) -> None:
    """Install (or with None remove) the cross-process limiter consulted by every budget."""
    global _external
    _external = limiter


class RateBudget:
    """The request budget of one provider account: a token bucket and a concurrency cap."""

    def __init__(
        self,
        key: str,
        *,
        rate_per_second: float | None = None,
        rate_per_minute: float | None = None,
        max_concurrent: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = key
        self.bucket = _bucket(rate_per_second, rate_per_minute, clock, sleep)
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent) if max_concurrent else None
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self.peak_in_flight = 0

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold a concurrency slot and spend one rate token for the duration of one request."""
        slot = self._slots if self._slots is not None else nullcontext()
        with slot:
            external = _external
            outer = external.slot(self.key) if external is not None else nullcontext()
            with outer:
                if self.bucket is not None:
                    self.bucket.acquire()
                if external is not None:
                    external.acquire(self.key)
                with self._count_lock:
                    self._in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
                try:
                    yield
                finally:
                    with self._count_lock:
                        self._in_flight -= 1

    @property
    def requests(self) -> int:
        """Tokens granted so far (requests that went, or are about to go, out)."""
        return self.bucket.granted if self.bucket is not None else 0


def _bucket(
    per_second: float | None,
    per_minute: float | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> TokenBucket | None:
    if per_second and per_minute:
        raise ConfigurationError("give rate_per_second or rate_per_minute, not both")
    if per_second:
        return TokenBucket(per_second, clock=clock, sleep=sleep)
    if per_minute:
        # A per-minute allowance spent evenly: bursts up to a tenth of it at once.
        return TokenBucket(per_minute / 60.0, max(1.0, per_minute / 10.0), clock=clock, sleep=sleep)
    return None


def fingerprint(secret: str) -> str:
    """A short hash naming a secret without revealing it: budget keys, token lineages."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


_registry: dict[str, RateBudget] = {}
_registry_lock = threading.Lock()


def budget_for(
    key: str,
    *,
    rate_per_second: float | None = None,
    rate_per_minute: float | None = None,
    max_concurrent: int | None = None,
) -> RateBudget:
    """The process-wide budget of account `key` (e.g. `stripe:acct_123`), made on first use.

    The first caller's limits stand; later callers with other limits share that same budget.
    `key` names the account and must never contain a secret (hash API keys first).
    """
    with _registry_lock:
        budget = _registry.get(key)
        if budget is None:
            budget = RateBudget(
                key,
                rate_per_second=rate_per_second,
                rate_per_minute=rate_per_minute,
                max_concurrent=max_concurrent,
            )
            _registry[key] = budget
        return budget


def forget_budgets() -> None:
    """Drop every registered budget (tests, or after changing an account's limits)."""
    with _registry_lock:
        _registry.clear()
