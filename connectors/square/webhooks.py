"""Square webhooks: verify `x-square-hmacsha256-signature`, parse the event body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.common.webhooks import (
    WebhookEvent,
    constant_time_equal,
    event_id_text,
    hmac_sha256_b64,
    iso_time,
    load_json,
    optional_object,
    optional_text,
)
from connectors.errors import SignatureError, WebhookBodyError
from connectors.provider import Delivery, Events

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
# Square signs no timestamp: replays are caught by deduplicating on event_id.
DEFAULT_TOLERANCE = None

# `data.type` in an event -> the resource intsync reads it as.
RESOURCE_BY_TYPE = {
    "payment": "payments",
    "refund": "refunds",
    "order": "orders",
    "customer": "customers",
    "invoice": "invoices",
    "location": "locations",
    "catalog_object": "catalog",
    "dispute": "disputes",
}


def verify(
    payload: bytes, signature: str | None, signature_key: str, notification_url: str
) -> None:
    """Raise SignatureError unless `signature` is base64 HMAC-SHA256 of URL + body under the key.

    `notification_url` must be the subscription's URL byte for byte (scheme, host, path, query).
    """
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header", provider="square")
    if not signature_key:
        raise SignatureError(
            "no Square signature key configured: set credential webhook_signature_key",
            provider="square",
        )
    if not notification_url:
        raise SignatureError(
            "no Square notification URL configured: set credential webhook_url to the "
            "subscription's URL",
            provider="square",
        )
    expected = hmac_sha256_b64(signature_key, notification_url.encode() + payload)
    if not constant_time_equal(expected, signature.strip()):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the payload: check webhook_signature_key and "
            "that webhook_url is the subscription's URL exactly",
            provider="square",
        )


def parse(payload: bytes) -> WebhookEvent:
    """The event in a (verified) Square webhook body; `object` is None when it carries ids only.
    WebhookBodyError (400, nothing stored) when a field intsync reads has the wrong type."""
    body: Any = load_json(payload, "square", "Square")
    if not isinstance(body, dict):
        raise WebhookBodyError("Square webhook body is not an object", provider="square")
    event_id = event_id_text(body.get("event_id"), "square", "Square event_id")
    event_type = event_id_text(body.get("type"), "square", "Square event type")
    data = optional_object(body.get("data"), "square", "Square event data")
    kind = event_type.split(".", 1)[0]
    data_type = optional_text(data.get("type"), "square", "data.type") or kind
    obj = _object(data, data_type)
    found_id = data.get("id")
    if found_id is not None and not isinstance(found_id, (str, int)):
        raise WebhookBodyError("Square data.id must be a string", provider="square")
    return WebhookEvent(
        provider="square",
        event_id=event_id,
        type=event_type,
        occurred_at=iso_time(body.get("created_at"), "square", "Square event created_at"),
        resource=RESOURCE_BY_TYPE.get(kind) or RESOURCE_BY_TYPE.get(data_type),
        object_id=str(found_id) if found_id else (obj or {}).get("id"),
        object=obj,
        deleted=bool(data.get("deleted")) or event_type.endswith(".deleted"),
        account=optional_text(body.get("merchant_id"), "square", "Square merchant_id"),
        raw=body,
    )


def _object(data: dict[str, Any], data_type: str) -> dict[str, Any] | None:
    """The full object when the event carries one (`payment.updated`), None for id-only events
    (`order.updated` sends `order_updated` with the id, version and state)."""
    wrapper = data.get("object")
    if not isinstance(wrapper, dict):
        return None
    obj = wrapper.get(data_type)
    return obj if isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj["id"] else None


def verify_delivery(
    credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's one event with its body, once its signature verifies with the
    integration's `webhook_signature_key` over its `webhook_url` (the request's URL if unset)."""
    verify(
        delivery.body,
        delivery.headers.get(SIGNATURE_HEADER),
        credentials.get("webhook_signature_key", ""),
        credentials.get("webhook_url") or delivery.url,
    )
    return [(parse(delivery.body), delivery.body)]
