"""Group commit: concurrent callers' writes share one transaction, each caller still waiting for
its own commit.

Webhook requests each store one event and may answer only once it is committed. One transaction
per request makes them queue on the database's write lock (SQLite takes one writer at a time and
makes the others back off in sleeps). Here the first caller to arrive becomes the leader: it
commits everything queued so far as one batch, wakes the callers whose items were in it, and hands
leadership to the first caller still waiting. Nobody is acknowledged before the batch holding its
item has committed; a failed batch is retried item by item, so one bad item fails alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 128


class _Slot(Generic[Item, Result]):
    __slots__ = ("item", "result", "error", "done", "lead")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False


class GroupCommit(Generic[Item, Result]):
    """Runs `commit(items) -> results` (one result per item, in order) for batches of items
    submitted concurrently; `submit(item)` returns its item's result once committed."""

    def __init__(
        self, commit: Callable[[Sequence[Item]], Sequence[Result]], max_batch: int = MAX_BATCH
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._queue: list[_Slot[Item, Result]] = []
        self._leading = False
        self.batches = 0
        self.items = 0

    def submit(self, item: Item) -> Result:
        """Queue `item`, wait until a batch holding it has committed, and return its result
        (or raise what committing it raised)."""
        slot: _Slot[Item, Result] = _Slot(item)
        with self._changed:
            self._queue.append(slot)
            if self._leading:
                while not (slot.done or slot.lead):
                    self._changed.wait()
            else:
                self._leading = slot.lead = True
        if not slot.done:
            self._lead(slot)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self, own: _Slot[Item, Result]) -> None:
        """Commit batches until our own item is in one, then pass leadership on."""
        while not own.done:
            with self._changed:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            self._run(batch)
            with self._changed:
                for slot in batch:
                    slot.done = True
                if own.done:
                    if self._queue:
                        self._queue[0].lead = True
                    else:
                        self._leading = False
                self._changed.notify_all()

    def _run(self, batch: list[_Slot[Item, Result]]) -> None:
        try:
            results = self._commit([slot.item for slot in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for slot in batch:  # find the item at fault: the others still commit
                self._run([slot])
            return
        self.batches += 1
        self.items += len(batch)
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
