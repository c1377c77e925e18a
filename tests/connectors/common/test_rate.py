from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from connectors.common import rate
from connectors.common.rate import RateBudget, TokenBucket, budget_for, set_external_limiter
from connectors.errors import ConfigurationError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fresh_registry():
    rate.forget_budgets()
    yield
    rate.forget_budgets()
    set_external_limiter(None)


def test_bucket_allows_a_burst_then_spaces_requests_at_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(5.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(8)]
    assert waits[:5] == [0.0] * 5
    assert waits[5:] == pytest.approx([0.2, 0.2, 0.2])
    assert clock.now == pytest.approx(100.6)


def test_bucket_refills_while_idle_up_to_its_capacity() -> None:
    clock = Clock()
    bucket = TokenBucket(2.0, capacity=2, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()
    clock.now += 60  # long idle: refills to capacity 2, not 120
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


def test_concurrent_waiters_reserve_distinct_slots() -> None:
    clock = Clock()
    bucket = TokenBucket(10.0, capacity=1, clock=clock, sleep=lambda s: None)
    waits = [bucket.reserve() for _ in range(4)]  # the clock stands still: all reserve at once
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_per_minute_budget() -> None:
    clock = Clock()
    budget = RateBudget("quickbooks:r1", rate_per_minute=600, clock=clock, sleep=clock.sleep)
    assert budget.bucket is not None
    assert budget.bucket.rate == pytest.approx(10.0)
    for _ in range(70):
        with budget.request():
            pass
    # a burst of 60 (a tenth of the minute's allowance), then 10 more at 10/s
    assert clock.now - 100.0 == pytest.approx(1.0)
    assert budget.requests == 70


def test_bad_rates_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="rate must be positive, got -1"):
        TokenBucket(-1)
    with pytest.raises(ConfigurationError, match="not both"):
        RateBudget("x", rate_per_second=1, rate_per_minute=60)


def test_registry_returns_one_budget_per_account() -> None:
    a = budget_for("stripe:acct_1", rate_per_second=25)
    assert budget_for("stripe:acct_1", rate_per_second=99) is a
    assert budget_for("stripe:acct_2", rate_per_second=25) is not a
    assert a.bucket is not None and a.bucket.rate == 25


def test_concurrency_cap_holds_across_threads() -> None:
    budget = budget_for("mailchimp:us6", max_concurrent=3)
    inside = threading.Semaphore(0)
    release = threading.Event()

    def work() -> None:
        with budget.request():
            inside.release()
            release.wait(5)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert inside.acquire(timeout=5)
    assert not inside.acquire(timeout=0.2)  # a fourth cannot get in while three are inside
    release.set()
    for t in threads:
        t.join(5)
    assert budget.peak_in_flight == 3


def test_threads_share_one_account_rate() -> None:
    clock_lock = threading.Lock()
    clock = Clock()

    def sleep(seconds: float) -> None:
        with clock_lock:
            clock.sleeps.append(seconds)

    budget = RateBudget("stripe:k", rate_per_second=10, clock=clock, sleep=sleep)

    def work() -> None:
        for _ in range(15):
            with budget.request():
                pass

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 30 requests on a frozen clock: 10 from the burst, the other 20 queue 0.1 s apart
    assert budget.requests == 30
    assert sorted(clock.sleeps) == pytest.approx([0.1 * i for i in range(1, 21)])


def test_external_limiter_is_consulted_per_request() -> None:
    calls: list[tuple[str, str]] = []

    class Limiter:
        def acquire(self, key: str) -> None:
            calls.append(("acquire", key))

        @contextmanager
        def slot(self, key: str):
            calls.append(("enter", key))
            yield
            calls.append(("exit", key))

    set_external_limiter(Limiter())
    budget = budget_for("stripe:acct_9", rate_per_second=100)
    with budget.request():
        calls.append(("request", ""))
    assert calls == [
        ("enter", "stripe:acct_9"),
        ("acquire", "stripe:acct_9"),
        ("request", ""),
        ("exit", "stripe:acct_9"),
    ]
