"""Deterministic seeding: a seed and counts give the same objects every time.

Times are anchored to `SeedSpec.now`, by default the start of the current UTC day, so that two
sandboxes seeded the same day (in one process or several) hold identical objects. Pass `now`
for byte-for-byte repeatability across days.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

DAY = 86_400
_ALPHABET = string.digits + string.ascii_letters
_TOKEN_TABLE = bytes(ord(_ALPHABET[i % 62]) for i in range(256))
_SORTED = string.digits + string.ascii_uppercase + string.ascii_lowercase


def today_utc() -> int:
    """Unix seconds at the start of the current UTC day."""
    return int(time.time()) // DAY * DAY


@dataclass(frozen=True)
class SeedSpec:
    """How to seed one account: a seed, object counts per resource, and the time anchor."""

    seed: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    now: int | None = None
    span_days: int = 730

    def anchor(self) -> int:
        """The newest seeded time: `now`, or the start of today (UTC)."""
        return self.now if self.now is not None else today_utc()


def rng_for(seed: int, *scope: object) -> random.Random:
    """A random stream private to (seed, scope...): changing one resource's count leaves the
    others' objects as they were."""
    return random.Random(":".join(str(s) for s in (seed, *scope)))


def random_token(rng: random.Random, length: int) -> str:
    """`length` characters of [0-9A-Za-z], as providers' ids use."""
    return rng.randbytes(length).translate(_TOKEN_TABLE).decode("ascii")


def sortable_token(sequence: int, width: int) -> str:
    """`sequence` in base 62 with ASCII-ordered digits, zero-padded: ids made later sort later."""
    chars = []
    for _ in range(width):
        sequence, digit = divmod(sequence, 62)
        chars.append(_SORTED[digit])
    return "".join(reversed(chars))


def spread_times(rng: random.Random, count: int, newest: int, span_days: int) -> list[int]:
    """`count` unix times between `newest - span_days` and `newest`, sorted oldest first, denser
    in recent months as a growing business's would be."""
    span = span_days * DAY
    times = [newest - int(span * (1.0 - rng.random() ** 0.7)) for _ in range(count)]
    times.sort()
    return times
