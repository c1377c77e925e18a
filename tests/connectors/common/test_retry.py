from __future__ import annotations

import pytest

from connectors.common.retry import DEFAULT_RETRY, RetryPolicy, call_with_retry
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
)


class Clock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def failing(errors: list[Exception], result: str = "ok"):
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def run(fn, policy: RetryPolicy = DEFAULT_RETRY, clock: Clock | None = None, rand=lambda: 1.0):
    clock = clock or Clock()
    return call_with_retry(fn, policy, sleep=clock.sleep, clock=clock, rand=rand)


def test_retriable_errors_are_retried_until_success() -> None:
    fn, calls = failing([RetriableAPIError("503"), RetriableAPIError("502")])
    clock = Clock()
    assert run(fn, clock=clock) == "ok"
    assert len(calls) == 3
    assert clock.sleeps == [0.5, 1.0]  # base 0.5 doubling, rand=1 gives the ceiling


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("revoked"),
        FatalAPIError("404"),
        ConfigurationError("no key"),
        ValueError("a bug"),
    ],
)
def test_non_retriable_errors_propagate_after_one_call(error: Exception) -> None:
    fn, calls = failing([error])
    clock = Clock()
    with pytest.raises(type(error)):
        run(fn, clock=clock)
    assert len(calls) == 1
    assert clock.sleeps == []


def test_full_jitter_draws_below_the_exponential_ceiling() -> None:
    fn, _ = failing([RetriableAPIError("x")] * 4)
    draws = iter([0.25, 0.5, 0.0, 0.75])
    clock = Clock()
    run(fn, RetryPolicy(base_delay=1.0, max_delay=5.0), clock, rand=lambda: next(draws))
    assert clock.sleeps == [0.25, 1.0, 0.0, 3.75]  # ceilings 1, 2, 4, 5 (capped)


def test_retry_after_is_a_floor_under_the_wait() -> None:
    fn, _ = failing([RateLimitedError("429", retry_after=7.0), RateLimitedError("429")])
    clock = Clock()
    run(fn, clock=clock, rand=lambda: 0.1)
    assert clock.sleeps == [7.0, pytest.approx(0.1)]


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    fn, calls = failing([RetriableAPIError(f"fail {i}") for i in range(10)])
    with pytest.raises(RetriableAPIError, match="fail 2") as info:
        run(fn, RetryPolicy(max_attempts=3))
    assert len(calls) == 3
    assert "gave up after 3 attempt(s)" in "".join(info.value.__notes__)


def test_total_time_cap_stops_before_a_wait_that_would_exceed_it() -> None:
    fn, calls = failing([RateLimitedError("429", retry_after=30.0)] * 10)
    clock = Clock()
    with pytest.raises(RateLimitedError):
        run(fn, RetryPolicy(max_attempts=10, total_timeout=70.0), clock)
    assert clock.sleeps == [30.0, 30.0]
    assert len(calls) == 3


def test_retry_on_narrows_what_is_retried() -> None:
    only_429 = RetryPolicy(retry_on=(RateLimitedError,))
    fn, calls = failing([RetriableAPIError("503")])
    with pytest.raises(RetriableAPIError):
        run(fn, only_429)
    assert len(calls) == 1
    fn, calls = failing([RateLimitedError("429")])
    assert run(fn, only_429) == "ok"
    assert len(calls) == 2


def test_listener_hears_each_retry() -> None:
    fn, _ = failing([RetriableAPIError("a"), RateLimitedError("b", retry_after=2)])
    heard: list[tuple[int, str, float]] = []
    clock = Clock()
    call_with_retry(
        fn,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        on_retry=lambda n, e, w: heard.append((n, str(e), w)),
    )
    assert heard == [(1, "a", 0.0), (2, "b", 2.0)]
