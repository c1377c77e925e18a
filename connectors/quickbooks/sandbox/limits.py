"""Intuit's per-realm throttles in the sandbox: requests per minute and requests in flight."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from connectors.quickbooks.entities import MAX_CONCURRENT, REQUESTS_PER_MINUTE


@dataclass
class Limits:
    """The throttle settings (`POST /_sandbox/mutate {"action": "limits", ...}` changes them)."""

    requests_per_minute: int = REQUESTS_PER_MINUTE
    max_concurrent: int = MAX_CONCURRENT
    retry_after: float = 60.0  # what a 429 tells the caller to wait


@dataclass
class _Gate:
    in_flight: int = 0
    peak: int = 0
    recent: deque[float] = field(default_factory=deque)
    throttled: int = 0


class RealmGates:
    """Admits or throttles each API request of a realm; remembers the peak in flight."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._gates: dict[str, _Gate] = {}
        self._lock = threading.Lock()

    def enter(self, realm_id: str) -> bool:
        """Take a place for one request; False when the realm is over a limit (answer 429)."""
        now = time.monotonic()
        with self._lock:
            gate = self._gates.setdefault(realm_id, _Gate())
            while gate.recent and gate.recent[0] <= now - 60.0:
                gate.recent.popleft()
            over_rate = len(gate.recent) >= self.limits.requests_per_minute
            if over_rate or gate.in_flight >= self.limits.max_concurrent:
                gate.throttled += 1
                return False
            gate.recent.append(now)
            gate.in_flight += 1
            gate.peak = max(gate.peak, gate.in_flight)
            return True

    def leave(self, realm_id: str) -> None:
        """The request finished."""
        with self._lock:
            self._gates[realm_id].in_flight -= 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Per realm: peak in flight, requests in the last minute, throttled answers."""
        with self._lock:
            return {
                realm: {"peak_in_flight": g.peak, "last_minute": len(g.recent),
                        "throttled": g.throttled, "in_flight": g.in_flight}
                for realm, g in self._gates.items()
            }  # fmt: skip

    def reset(self) -> None:
        """Forget counts (limits stay)."""
        with self._lock:
            self._gates.clear()
