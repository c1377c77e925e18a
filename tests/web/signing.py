"""How each provider signs a delivery, written out here independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

import orjson


def stripe_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def b64_hmac(key: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def stripe_event(
    event_id: str = "evt_1", obj_id: str = "ch_1", created: int | None = None
) -> bytes:
    return orjson.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": created or int(time.time()),
            "type": "charge.updated",
            "data": {"object": {"id": obj_id, "object": "charge", "amount": 1200}},
            "livemode": False,
        }
    )


def square_event(event_id: str = "sq-evt-1", payment_id: str = "pay_1") -> bytes:
    return orjson.dumps(
        {
            "merchant_id": "M1",
            "type": "payment.updated",
            "event_id": event_id,
            "created_at": "2026-01-05T10:00:00Z",
            "data": {
                "type": "payment",
                "id": payment_id,
                "object": {"payment": {"id": payment_id, "status": "COMPLETED"}},
            },
        }
    )


def mailchimp_form(email: str = "ann@example.com", kind: str = "subscribe") -> bytes:
    return urlencode(
        {
            "type": kind,
            "fired_at": "2026-01-05 10:00:00",
            "data[id]": "8a25ff1d98",
            "data[list_id]": "a6b5da1054",
            "data[email]": email,
            "data[merges][FNAME]": "Ann",
        }
    ).encode()


def qbo_legacy(*entity_ids: str, realm: str = "9130") -> bytes:
    entities = [
        {
            "name": "Invoice",
            "id": i,
            "operation": "Update",
            "lastUpdated": "2026-01-05T10:00:00.000Z",
        }
        for i in entity_ids
    ]
    return orjson.dumps(
        {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}]}
    )


def qbo_cloud(*event_ids: str) -> bytes:
    return orjson.dumps(
        [
            {
                "specversion": "1.0",
                "id": event_id,
                "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
                "type": "qbo.salesreceipt.deleted.v1",
                "datacontenttype": "application/json",
                "time": "2026-01-05T10:00:00Z",
                "intuitentityid": f"sr-{event_id}",
                "intuitaccountid": "9130",
                "data": {},
            }
            for event_id in event_ids
        ]
    )


def service_headers(
    service: str,
    secret: str,
    method: str,
    target: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Internal service auth headers, written from the interface's description."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or hashlib.sha256(f"{time.time_ns()}{target}".encode()).hexdigest()[:24]
    lines = [service, ts, nonce, method.upper(), target, hashlib.sha256(body).hexdigest()]
    mac = hmac.new(secret.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()
    return {
        "X-Service-Name": service,
        "X-Request-Timestamp": ts,
        "X-Request-Nonce": nonce,
        "X-Signature": "v1=" + mac,
    }
