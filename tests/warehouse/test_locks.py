from __future__ import annotations

import threading
import time

from warehouse.locks import exclusive_file_lock


def test_one_holder_at_a_time_across_threads_and_reentrant_within_one(tmp_path):
    path = tmp_path / "sub" / "x.lock"
    order: list[str] = []
    taken = threading.Event()

    def other() -> None:
        taken.wait()
        with exclusive_file_lock(path):
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    # the same thread takes it twice: no deadlock
    with exclusive_file_lock(path), exclusive_file_lock(path):
        taken.set()
        time.sleep(0.2)
        order.append("first")
    thread.join(timeout=5)
    assert order == ["first", "other"]
