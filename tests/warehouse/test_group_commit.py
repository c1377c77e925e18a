from __future__ import annotations

import threading
import time

import pytest

from warehouse.store.group_commit import GroupCommit


class Ledger:
    """A commit function that records its batches and can be told to fail on an item."""

    def __init__(self, fail_on: object = None, delay: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on
        self.delay = delay
        self.lock = threading.Lock()

    def commit(self, items: list[int]) -> list[int]:
        time.sleep(self.delay)
        if self.fail_on in items:
            raise RuntimeError(f"cannot store {self.fail_on}")
        with self.lock:
            self.batches.append(list(items))
        return [item * 10 for item in items]


def _submit_all(writer: GroupCommit, items: range) -> dict[int, object]:
    outcomes: dict[int, object] = {}

    def run(item: int) -> None:
        try:
            outcomes[item] = writer.submit(item)
        except RuntimeError as exc:
            outcomes[item] = exc

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_one_caller_commits_alone_and_gets_its_result():
    ledger = Ledger()
    assert GroupCommit(ledger.commit).submit(4) == 40
    assert ledger.batches == [[4]]


def test_concurrent_callers_share_batches_and_every_item_commits_once():
    ledger = Ledger(delay=0.005)
    outcomes = _submit_all(GroupCommit(ledger.commit), range(60))
    assert outcomes == {item: item * 10 for item in range(60)}
    committed = [item for batch in ledger.batches for item in batch]
    assert sorted(committed) == list(range(60))
    assert len(ledger.batches) < 60  # callers waiting on a commit went in together


def test_batches_never_exceed_the_limit():
    ledger = Ledger(delay=0.005)
    _submit_all(GroupCommit(ledger.commit, max_batch=4), range(40))
    assert max(len(batch) for batch in ledger.batches) <= 4


def test_a_failing_item_fails_alone_and_the_rest_of_its_batch_commits():
    ledger = Ledger(fail_on=7, delay=0.005)
    outcomes = _submit_all(GroupCommit(ledger.commit), range(30))
    assert isinstance(outcomes.pop(7), RuntimeError)
    assert outcomes == {item: item * 10 for item in range(30) if item != 7}
    assert 7 not in [item for batch in ledger.batches for item in batch]


def test_the_error_reaches_the_caller_whose_item_failed():
    writer = GroupCommit(Ledger(fail_on=3).commit)
    with pytest.raises(RuntimeError, match="cannot store 3"):
        writer.submit(3)
    assert writer.submit(4) == 40  # the writer goes on after a failure
