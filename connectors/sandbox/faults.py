"""Switchable faults: random 429s and 5xx, added latency, revoked credentials, a real rate limit."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from connectors.sandbox.errors import SandboxUsageError

# checks a fault setting (its name, its value) and gives the value to keep
Check: TypeAlias = Callable[[str, Any], Any]


@dataclass
class Faults:
    """What goes wrong, and how often. Every field can be set over `POST /_sandbox/faults`."""

    # probability (0..1) that a request is answered 429 in the provider's rate-limit form
    rate_limit_probability: float = 0.0
    # probability (0..1) that a request is answered with one of `server_error_statuses`
    server_error_probability: float = 0.0
    server_error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    # added to every request, plus up to `latency_jitter_ms` more at random
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    # credentials answered 401 as if revoked
    revoked_credentials: list[str] = field(default_factory=list)
    # a real limit: requests per second per account (token bucket, burst of one second's worth)
    requests_per_second: float | None = None
    # statuses forced on the next requests, one each, in order (e.g. [429, 500])
    script: list[int] = field(default_factory=list)
    # faults hit only paths starting with this prefix (None: every API path)
    path_prefix: str | None = None
    # seed for the random draws, so a fault pattern repeats run after run
    seed: int | None = None
    # hold: the requests of this account (its key, token or realm) after the first
    # `hold_after` are kept unanswered until the hold is lifted (set hold_account to null), so
    # a test knows where a sync is when it kills it; GET /_sandbox/faults says how many wait
    hold_account: str | None = None
    hold_after: int = 0

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (revoked credentials masked)."""
        data = dataclasses.asdict(self)
        data["revoked_credentials"] = [_mask(c) for c in self.revoked_credentials]
        return data


_FIELDS = {f.name: f for f in dataclasses.fields(Faults)}


def _mask(value: str) -> str:
    return "****" + value[-4:] if len(value) > 8 else "****"


def apply_changes(faults: Faults, changes: dict[str, Any]) -> Faults:
    """A copy of `faults` with `changes` applied; unknown or ill-typed fields raise."""
    updated = dataclasses.replace(faults)
    for name, value in changes.items():
        if name not in _FIELDS:
            raise SandboxUsageError(
                f"unknown fault {name!r}: expected one of {', '.join(sorted(_FIELDS))}"
            )
        setattr(updated, name, _checked(name, value))
    return updated


def _number(low: float, *, above: bool = False, high: float | None = None) -> Check:
    def check(name: str, value: Any) -> Any:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (value > low if above else value >= low) and (high is None or value <= high)
        if not ok:
            span = (
                f"from {low} to {high}" if high is not None else f"{'>' if above else '>='} {low}"
            )
            raise SandboxUsageError(f"fault {name}={value!r}: expected a number {span}")
        return float(value)

    return check


def _optional(check: Check) -> Check:
    return lambda name, value: None if value is None else check(name, value)


def _statuses(name: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and 400 <= v <= 599 for v in value
    ):
        raise SandboxUsageError(f"fault {name}={value!r}: expected a list of HTTP statuses")
    return list(value)


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SandboxUsageError(f"fault {name}: expected a list of strings")
    return list(value)


def _typed(kind: type, label: str) -> Check:
    def check(name: str, value: Any) -> Any:
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise SandboxUsageError(f"fault {name}={value!r}: expected {label} or null")
        return value

    return check


_CHECKS = {
    "rate_limit_probability": _number(0, high=1),
    "server_error_probability": _number(0, high=1),
    "server_error_statuses": _statuses,
    "latency_ms": _number(0),
    "latency_jitter_ms": _number(0),
    "revoked_credentials": _strings,
    "requests_per_second": _optional(_number(0, above=True)),
    "script": _statuses,
    "path_prefix": _typed(str, "a string"),
    "seed": _typed(int, "an integer"),
    "hold_account": _optional(_typed(str, "a string")),
    "hold_after": _number(0),
}


def _checked(name: str, value: Any) -> Any:
    return _CHECKS[name](name, value)


class TokenBuckets:
    """One token bucket per key: `rate` tokens a second, holding at most one second's worth."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float) -> bool:
        """Spend a token for `key`; False when the bucket is empty."""
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key, (rate, now))
        tokens = min(rate, tokens + (now - stamp) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def clear(self) -> None:
        self._buckets.clear()


class FaultInjector:
    """Decides, per request, which fault (if any) to apply. Thread-safe."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._buckets = TokenBuckets()
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)
        self._release = threading.Event()
        self._hold_seen = 0
        self.held = 0

    def update(self, changes: dict[str, Any]) -> Faults:
        """Apply changes (as from the admin route); reseeds when `seed` is given."""
        with self._lock:
            self.faults = apply_changes(self.faults, changes)
            if "seed" in changes:
                self._rng = random.Random(self.faults.seed)
            if "requests_per_second" in changes:
                self._buckets.clear()
            if "hold_account" in changes or "hold_after" in changes:
                self._hold_seen = 0
                self._release.set()  # those held so far go on (or wait again under a new hold)
                self._release = threading.Event()
            return self.faults

    def hold(self, account_key: str, timeout: float = 600.0) -> None:
        """Keep this request waiting while its account is held (past `hold_after` requests)."""
        with self._lock:
            if self.faults.hold_account is None or account_key != self.faults.hold_account:
                return
            self._hold_seen += 1
            if self._hold_seen <= self.faults.hold_after:
                return
            release = self._release
            self.held += 1
        try:
            release.wait(timeout)
        finally:
            with self._lock:
                self.held -= 1

    def to_json(self) -> dict[str, Any]:
        """The settings, and how many requests wait on a hold now."""
        return {**self.faults.to_json(), "held": self.held}

    def reset(self) -> None:
        """Back to no faults."""
        with self._lock:
            self.faults = Faults()
            self._rng = random.Random()
            self._buckets.clear()
            self._release.set()
            self._release = threading.Event()

    def applies_to(self, path: str) -> bool:
        prefix = self.faults.path_prefix
        return prefix is None or path.startswith(prefix)

    def delay_seconds(self) -> float:
        """Latency to add to this request."""
        f = self.faults
        if not f.latency_ms and not f.latency_jitter_ms:
            return 0.0
        with self._lock:
            jitter = self._rng.random() * f.latency_jitter_ms
        return (f.latency_ms + jitter) / 1000.0

    def is_revoked(self, credential: str | None) -> bool:
        return credential is not None and credential in self.faults.revoked_credentials

    def over_rate(self, account_key: str) -> bool:
        """True when the account spent its requests_per_second budget."""
        rate = self.faults.requests_per_second
        if rate is None:
            return False
        with self._lock:
            return not self._buckets.take(account_key, rate)

    def drawn_status(self) -> int | None:
        """A forced status (script first, then the random 429 / 5xx draws), or None."""
        f = self.faults
        with self._lock:
            if f.script:
                return f.script.pop(0)
            if f.rate_limit_probability and self._rng.random() < f.rate_limit_probability:
                return 429
            if f.server_error_probability and self._rng.random() < f.server_error_probability:
                return self._rng.choice(f.server_error_statuses or [500])
        return None
