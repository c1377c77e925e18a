"""Signed webhook delivery, and the deterministic seeding helpers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.sandbox import SandboxServer, deliver
from connectors.sandbox.seeding import (
    DAY,
    SeedSpec,
    random_token,
    rng_for,
    sortable_token,
    spread_times,
    today_utc,
)


class Receiver:
    """A webhook endpoint that records what it got and answers 500 to bodies saying 'fail'."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
        self.received.append((body, headers))
        status = "500 Internal Server Error" if b"fail" in body else "200 OK"
        start_response(status, [("Content-Type", "text/plain")])
        return [b"got it"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with SandboxServer(app) as server:
        yield app, server.url + "/hook"


def _sign(body: bytes) -> dict[str, str]:
    return {"X-Signature": f"len={len(body)}"}


def test_deliver_posts_each_payload_signed_and_reports_answers(receiver) -> None:
    app, url = receiver
    results = deliver(url, [("e1", b'{"n":1}'), ("e2", b'{"n":"fail"}')], _sign)
    assert [(r.event_id, r.status, r.body) for r in results] == [
        ("e1", 200, "got it"),
        ("e2", 500, "got it"),
    ]
    assert [body for body, _ in app.received] == [b'{"n":1}', b'{"n":"fail"}']
    assert app.received[0][1]["HTTP_X_SIGNATURE"] == "len=7"


def test_deliver_can_duplicate_and_shuffle(receiver) -> None:
    app, url = receiver
    payloads = [(f"e{i}", b"{}") for i in range(20)]
    results = deliver(url, payloads, _sign, duplicate_probability=1.0, shuffle=True, seed=3)
    assert len(results) == 40
    assert sum(r.duplicate for r in results) == 20
    assert [r.event_id for r in results] != sorted(r.event_id for r in results)
    assert len(app.received) == 40


def test_deliver_to_a_closed_port_reports_the_error() -> None:
    result = deliver("http://127.0.0.1:9/hook", [("e1", b"{}")], _sign, timeout=2)[0]
    assert result.status is None
    assert result.error


def test_tokens_are_deterministic_per_seed_and_alphanumeric() -> None:
    first = [random_token(rng_for(5, "charges"), 24) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert random_token(rng_for(6, "charges"), 24) != first[0]
    assert first[0].isalnum() and len(first[0]) == 24


def test_sortable_tokens_sort_like_their_numbers() -> None:
    numbers = sorted(random.Random(1).sample(range(10**12), 200))
    tokens = [sortable_token(n, 9) for n in numbers]
    assert tokens == sorted(tokens)


def test_spread_times_lie_in_the_span_oldest_first() -> None:
    times = spread_times(rng_for(1, "x"), 500, 1_700_000_000, 730)
    assert times == sorted(times)
    assert times[0] >= 1_700_000_000 - 730 * DAY and times[-1] <= 1_700_000_000


def test_seed_spec_anchor_defaults_to_today() -> None:
    assert SeedSpec().anchor() == today_utc()
    assert SeedSpec(now=123).anchor() == 123
