"""An exclusive lock across threads and processes on one machine: flock on a lock file."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HELD = threading.local()


@contextmanager
def exclusive_file_lock(path: Path | str) -> Iterator[None]:
    """Hold `path`'s lock (created when missing): one holder at a time across threads and
    processes, the next woken by the kernel as soon as it is free; re-entrant within a thread."""
    key = str(path)
    held: dict[str, bool] = _HELD.__dict__.setdefault("held", {})
    if held.get(key):
        yield
        return
    Path(key).parent.mkdir(parents=True, exist_ok=True)
    with open(key, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held[key] = True
        try:
            yield
        finally:
            held[key] = False
            fcntl.flock(handle, fcntl.LOCK_UN)
