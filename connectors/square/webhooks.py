"""Square webhooks: verify `x-square-hmacsha256-signature`, parse the event body."""

from __future__ import annotations

from typing import Any

import orjson

from connectors.common.times import iso_utc, parse_iso
from connectors.common.webhooks import WebhookEvent, constant_time_equal, hmac_sha256_b64
from connectors.errors import SignatureError

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
    """The event in a (verified) Square webhook body; `object` is None when it carries ids only."""
    try:
        body: Any = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise SignatureError(f"Square webhook body is not JSON: {exc}", provider="square") from None
    if not isinstance(body, dict):
        raise SignatureError("Square webhook body is not an object", provider="square")
    missing = [key for key in ("event_id", "type") if not body.get(key)]
    if missing:
        raise SignatureError(f"Square event lacks {missing[0]!r}", provider="square")
    found = body.get("data")
    data: dict[str, Any] = found if isinstance(found, dict) else {}
    kind = str(body["type"]).split(".", 1)[0]
    data_type = str(data.get("type") or kind)
    obj = _object(data, data_type)
    deleted = bool(data.get("deleted")) or body["type"].endswith(".deleted")
    return WebhookEvent(
        provider="square",
        event_id=str(body["event_id"]),
        type=str(body["type"]),
        occurred_at=_occurred_at(body.get("created_at")),
        resource=RESOURCE_BY_TYPE.get(kind) or RESOURCE_BY_TYPE.get(data_type),
        object_id=str(data["id"]) if data.get("id") else (obj or {}).get("id"),
        object=obj,
        deleted=deleted,
        account=body.get("merchant_id"),
        raw=body,
    )


def _object(data: dict[str, Any], data_type: str) -> dict[str, Any] | None:
    """The full object when the event carries one (`payment.updated`), None for id-only events
    (`order.updated` sends `order_updated` with the id, version and state)."""
    wrapper = data.get("object")
    if not isinstance(wrapper, dict):
        return None
    obj = wrapper.get(data_type)
    return obj if isinstance(obj, dict) and obj.get("id") else None


def _occurred_at(created_at: Any) -> str:
    if isinstance(created_at, str) and created_at:
        try:
            return iso_utc(parse_iso(created_at))
        except ValueError:
            pass
    raise SignatureError(
        f"Square event has no valid created_at ({created_at!r})", provider="square"
    )
