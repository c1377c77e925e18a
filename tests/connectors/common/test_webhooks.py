from __future__ import annotations

import hashlib
import hmac

from connectors.common.webhooks import (
    WebhookEvent,
    constant_time_equal,
    hmac_sha256_b64,
    hmac_sha256_hex,
)


def test_hmac_helpers_match_the_standard_library() -> None:
    expected = hmac.new(b"k", b"body", hashlib.sha256)
    assert hmac_sha256_hex("k", "body") == expected.hexdigest()
    assert hmac_sha256_hex(b"k", b"body") == expected.hexdigest()
    assert hmac_sha256_b64("k", b"body") == "xtgR7zrrAkN81CPxq+EyCQQYZGML3E4sBN71x7ADGiM="


def test_constant_time_equal() -> None:
    assert constant_time_equal("abc", b"abc")
    assert not constant_time_equal("abc", "abd")
    assert not constant_time_equal("abc", "ab")
    assert not constant_time_equal("abc", "\u00e9\u0081c"), "non-ASCII text compares, unequal"
    assert constant_time_equal("\u00e9", "\u00e9".encode())
    assert not constant_time_equal("abc", "a\ud800c"), "even a lone surrogate"


def test_event_repr_leaves_out_the_raw_body() -> None:
    event = WebhookEvent(
        provider="stripe",
        event_id="evt_1",
        type="charge.updated",
        occurred_at="2024-01-01T00:00:00Z",
        resource="charges",
        object_id="ch_1",
        object={"id": "ch_1"},
        raw={"secretish": "x"},
    )
    assert "secretish" not in repr(event)
    assert event.deleted is False
