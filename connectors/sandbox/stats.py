"""Request counts by route and status, and the most requests seen in flight at once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    """Counters shared by every request thread of one sandbox."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()
        self.in_flight = 0
        self.max_concurrent = 0

    def enter(self) -> None:
        """A request started."""
        with self._lock:
            self.in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)

    def leave(self, method: str, route: str, status: int) -> None:
        """A request finished with `status`."""
        with self._lock:
            self.in_flight -= 1
            self._counts[(method, route, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self.max_concurrent = self.in_flight

    def snapshot(self) -> dict[str, Any]:
        """`{"total", "by_status", "by_path": {route: {status: n}}, "by_method_path", ...}`."""
        with self._lock:
            counts = dict(self._counts)
            in_flight, peak = self.in_flight, self.max_concurrent
        by_path: dict[str, dict[str, int]] = {}
        by_method: dict[str, dict[str, int]] = {}
        by_status: Counter[str] = Counter()
        for (method, route, status), n in counts.items():
            cell = by_path.setdefault(route, {})
            cell[str(status)] = cell.get(str(status), 0) + n
            mcell = by_method.setdefault(f"{method} {route}", {})
            mcell[str(status)] = mcell.get(str(status), 0) + n
            by_status[str(status)] += n
        return {
            "total": sum(counts.values()),
            "by_status": dict(by_status),
            "by_path": by_path,
            "by_method_path": by_method,
            "in_flight": in_flight,
            "max_concurrent": peak,
        }
