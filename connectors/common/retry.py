"""Retries with exponential backoff and full jitter, bounded in attempts and in total time.

Only `RetriableAPIError` (and its `RateLimitedError`) is retried; `AuthenticationError`,
`FatalAPIError`, `ConfigurationError` and anything that is not a connector error propagate at once.
An `UnreachableError` (no connection at all) is retried only within the short unreachable budget
(`connectors.common.http.unreachable_budget`, INTSYNC_UNREACHABLE_SECONDS), not the whole
`total_timeout`: a provider that refuses connections fails the request in seconds.

Every wait is told to the listener installed with `set_retry_listener` (the CLI's progress line
shows it), besides the `on_retry` of the call.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.common.http import unreachable_budget
from connectors.errors import ConnectorError, RateLimitedError, RetriableAPIError, UnreachableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `max_attempts` calls in all, within `total_timeout` seconds.

    The wait before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2**(n-1))]
    ("full jitter"); a `RateLimitedError.retry_after` hint is a floor under that wait.
    `retry_on` narrows which retriable errors are retried (e.g. only 429s when the SDK already
    retries 5xx and connection errors itself).
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 20.0
    total_timeout: float = 120.0
    retry_on: tuple[type[RetriableAPIError], ...] = (RetriableAPIError,)
    # seconds within which an UnreachableError is retried; None: unreachable_budget() at the call
    unreachable_timeout: float | None = None

    def backoff(self, retry_number: int, rand: float) -> float:
        """Full-jitter wait before retry `retry_number` (1-based), given `rand` in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return ceiling * rand


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1)

RetryListener = Callable[[int, ConnectorError, float], None]

_listeners: dict[int, RetryListener] = {}
_listeners_lock = threading.Lock()


def set_retry_listener(listener: RetryListener | None) -> None:
    """Install (or with None remove) the process-wide listener told of every retry's wait, from
    every thread: `listener(attempt, error, wait_seconds)`."""
    with _listeners_lock:
        _listeners.clear()
        if listener is not None:
            _listeners[0] = listener


def _tell(attempt: int, exc: ConnectorError, wait: float, on_retry: RetryListener | None) -> None:
    for listener in (on_retry, _listeners.get(0)):
        if listener is not None:
            listener(attempt, exc, wait)


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy = DEFAULT_RETRY,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
    on_retry: RetryListener | None = None,
) -> T:
    """Call `fn` until it returns, retrying retriable connector errors per `policy`.

    `on_retry(attempt, error, wait_seconds)` is told before each wait. When attempts or time
    run out, the last error is raised with a note saying how many attempts were made.
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except RetriableAPIError as exc:
            if not isinstance(exc, policy.retry_on):
                raise
            wait = _wait_for(exc, attempt, policy, rand())
            elapsed = clock() - started
            limit = _time_limit(exc, policy)
            if attempt >= policy.max_attempts or elapsed + wait > limit:
                _give_up(exc, attempt, elapsed, policy, limit)
                raise
            _tell(attempt, exc, wait, on_retry)
            sleep(wait)


def _time_limit(exc: RetriableAPIError, policy: RetryPolicy) -> float:
    if not isinstance(exc, UnreachableError):
        return policy.total_timeout
    budget = policy.unreachable_timeout
    return min(policy.total_timeout, unreachable_budget() if budget is None else budget)


def _give_up(
    exc: RetriableAPIError, attempt: int, elapsed: float, policy: RetryPolicy, limit: float
) -> None:
    if isinstance(exc, UnreachableError):  # in the message itself: the sync log shows it
        exc.args = (
            f"{exc}; gave up after {attempt} attempt(s) in {elapsed:.1f}s (connection failures "
            f"are retried for {limit:.0f}s, INTSYNC_UNREACHABLE_SECONDS): check the "
            "integration's base URL and that the provider is up",
        )
        return
    exc.add_note(
        f"gave up after {attempt} attempt(s) in {elapsed:.1f}s "
        f"(limit {policy.max_attempts} attempts, {policy.total_timeout:.0f}s)"
    )


def _wait_for(exc: RetriableAPIError, attempt: int, policy: RetryPolicy, rand: float) -> float:
    wait = policy.backoff(attempt, rand)
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        wait = max(wait, exc.retry_after)
    return wait
