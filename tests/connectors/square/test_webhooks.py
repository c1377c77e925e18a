from __future__ import annotations

import base64
import hashlib
import hmac

import orjson
import pytest

from connectors.errors import SignatureError
from connectors.square.webhooks import parse, verify

KEY = "sq-signature-key"
URL = "https://hooks.example.com/api/v1/integrations/webhooks/square/int_1"


def sign(body: bytes, key: str = KEY, url: str = URL) -> str:
    return base64.b64encode(
        hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    ).decode()


def body(event_type: str = "payment.updated", data: dict | None = None) -> bytes:
    data = data or {"type": "payment", "id": "pay_1", "object": {"payment": {"id": "pay_1"}}}
    return orjson.dumps(
        {
            "merchant_id": "M1",
            "type": event_type,
            "event_id": "e-1",
            "created_at": "2026-01-05T10:00:00.5Z",
            "data": data,
        }
    )


def test_valid_signature_passes() -> None:
    payload = body()
    verify(payload, sign(payload), KEY, URL)


def test_square_sdk_agrees() -> None:
    from square.utils.webhooks_helper import verify_signature

    payload = body()
    assert verify_signature(
        request_body=payload.decode(),
        signature_header=sign(payload),
        signature_key=KEY,
        notification_url=URL,
    )


@pytest.mark.parametrize(
    ("signature", "key", "url", "payload", "message"),
    [
        (None, KEY, URL, body(), "missing"),
        ("", KEY, URL, body(), "missing"),
        (sign(body(), key="other"), KEY, URL, body(), "does not match"),
        (sign(body(), url=URL + "/"), KEY, URL, body(), "does not match"),
        (sign(body()), KEY, URL, body().replace(b"pay_1", b"pay_2"), "does not match"),
        (sign(body()), "", URL, body(), "webhook_signature_key"),
        (sign(body()), KEY, "", body(), "webhook_url"),
    ],
)
def test_bad_signatures_fail(
    signature: str | None, key: str, url: str, payload: bytes, message: str
) -> None:
    with pytest.raises(SignatureError, match=message) as info:
        verify(payload, signature, key, url)
    assert KEY not in str(info.value)


def test_parse_payment_event_carries_the_object() -> None:
    event = parse(body())
    assert (event.event_id, event.resource, event.object_id, event.object) == (
        "e-1",
        "payments",
        "pay_1",
        {"id": "pay_1"},
    )
    assert event.occurred_at == "2026-01-05T10:00:00Z"
    assert event.account == "M1"


def test_parse_order_event_carries_ids_only() -> None:
    data = {
        "type": "order_updated",
        "id": "ord_1",
        "object": {"order_updated": {"order_id": "ord_1", "version": 3}},
    }
    event = parse(body("order.updated", data))
    assert (event.resource, event.object_id, event.object) == ("orders", "ord_1", None)


def test_parse_customer_deleted_is_a_deletion() -> None:
    data = {
        "type": "customer",
        "id": "cus_1",
        "deleted": True,
        "object": {"customer": {"id": "cus_1"}},
    }
    assert parse(body("customer.deleted", data)).deleted is True


@pytest.mark.parametrize("payload", [b"nope", b"[]", b'{"type": "payment.updated"}'])
def test_parse_rejects_bodies_that_are_not_events(payload: bytes) -> None:
    with pytest.raises(SignatureError):
        parse(payload)
