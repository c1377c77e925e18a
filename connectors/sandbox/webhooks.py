"""Signed webhook delivery to a URL: at least once, optionally duplicated and out of order.

Providers plug in their signing: `sign(body) -> headers` for each payload.
"""

from __future__ import annotations

import random
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

Signer = Callable[[bytes], Mapping[str, str]]


@dataclass
class Delivery:
    """One POST to the receiver and what it answered (status None when it could not connect)."""

    event_id: str
    status: int | None
    body: str
    duplicate: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def deliver(
    url: str,
    payloads: Sequence[tuple[str, bytes]],
    sign: Signer,
    *,
    content_type: str = "application/json",
    duplicate_probability: float = 0.0,
    shuffle: bool = False,
    seed: int | None = None,
    timeout: float = 10.0,
) -> list[Delivery]:
    """POST each (event_id, body) to `url` with the headers `sign(body)` gives.

    `duplicate_probability` sends a payload a second time (signed afresh) as providers do under
    at-least-once delivery; `shuffle` sends them out of order.
    """
    rng = random.Random(seed)
    plan: list[tuple[str, bytes, bool]] = []
    for event_id, body in payloads:
        plan.append((event_id, body, False))
        if duplicate_probability and rng.random() < duplicate_probability:
            plan.append((event_id, body, True))
    if shuffle:
        rng.shuffle(plan)
    return [
        _post(url, event_id, body, sign, content_type, duplicate, timeout)
        for event_id, body, duplicate in plan
    ]


def _post(
    url: str,
    event_id: str,
    body: bytes,
    sign: Signer,
    content_type: str,
    duplicate: bool,
    timeout: float,
) -> Delivery:
    headers = {"Content-Type": content_type, "User-Agent": "intsync-sandbox/1", **sign(body)}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read().decode("utf-8", "replace")
            return Delivery(event_id, answer.status, text[:2000], duplicate)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        return Delivery(event_id, exc.code, text[:2000], duplicate)
    except (urllib.error.URLError, OSError) as exc:
        return Delivery(event_id, None, "", duplicate, error=str(exc))
