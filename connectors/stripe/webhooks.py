"""Stripe webhooks: verify the `Stripe-Signature` header, parse the event body."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from connectors.common.webhooks import (
    WebhookEvent,
    constant_time_equal,
    event_id_text,
    hmac_sha256_hex,
    load_json,
    optional_object,
    optional_text,
    unix_time_iso,
)
from connectors.errors import SignatureError, WebhookBodyError
from connectors.provider import Delivery, Events
from connectors.stripe.resources import RESOURCE_BY_OBJECT, is_deletion

DEFAULT_TOLERANCE = 300


def _header_parts(signature_header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in signature_header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(
                    "Stripe-Signature has a non-numeric timestamp", provider="stripe"
                ) from None
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("Stripe-Signature has no timestamp (t=...)", provider="stripe")
    if not signatures:
        raise SignatureError("Stripe-Signature has no v1 signature", provider="stripe")
    return timestamp, signatures


def verify(
    payload: bytes,
    signature_header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless some v1 signature in the header signs `t.payload` with `secret`
    and `t` is within `tolerance` seconds of `now`. Answer 400 and store nothing on failure.
    """
    if not signature_header:
        raise SignatureError("missing Stripe-Signature header", provider="stripe")
    if not secret:
        raise SignatureError(
            "no Stripe webhook secret configured: set credential webhook_secret (whsec_...)",
            provider="stripe",
        )
    timestamp, signatures = _header_parts(signature_header)
    expected = hmac_sha256_hex(secret, str(timestamp).encode() + b"." + payload)
    # Compare against every candidate, without stopping at the first match.
    matched = [constant_time_equal(expected, candidate) for candidate in signatures]
    if not any(matched):
        raise SignatureError(
            "no v1 signature in Stripe-Signature matches the payload: check the webhook secret",
            provider="stripe",
        )
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"Stripe-Signature timestamp is {int(current - timestamp)}s off, "
            f"more than the {tolerance}s tolerance (replayed or clock skew)",
            provider="stripe",
        )


def parse(payload: bytes) -> WebhookEvent:
    """The event in a (verified) Stripe webhook body; WebhookBodyError (400, nothing stored)
    when a field intsync reads is missing or of the wrong type."""
    body: Any = load_json(payload, "stripe", "Stripe")
    if not isinstance(body, dict) or body.get("object") != "event":
        raise WebhookBodyError("Stripe webhook body is not an event object", provider="stripe")
    event_id = event_id_text(body.get("id"), "stripe", "Stripe event id")
    event_type = event_id_text(body.get("type"), "stripe", "Stripe event type")
    occurred_at = unix_time_iso(body.get("created"), "stripe", "Stripe event created")
    found = optional_object(body.get("data"), "stripe", "Stripe event data").get("object")
    obj = found if isinstance(found, dict) else None
    kind = optional_text(obj.get("object"), "stripe", "data.object.object") if obj else None
    object_id = optional_text(obj.get("id"), "stripe", "data.object.id") if obj else None
    return WebhookEvent(
        provider="stripe",
        event_id=event_id,
        type=event_type,
        occurred_at=occurred_at,
        resource=RESOURCE_BY_OBJECT.get(kind or "") if obj else None,
        object_id=object_id,
        object=obj,
        deleted=is_deletion(event_type, obj) if obj else False,
        account=optional_text(body.get("account"), "stripe", "Stripe event account"),
        raw=body,
    )


def verify_delivery(
    credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's one event with its body, once `Stripe-Signature` verifies it with the
    integration's `webhook_secret` within `tolerance` seconds (DEFAULT_TOLERANCE when None)."""
    verify(
        delivery.body,
        delivery.headers.get("Stripe-Signature"),
        credentials.get("webhook_secret", ""),
        tolerance=tolerance if tolerance is not None else DEFAULT_TOLERANCE,
    )
    return [(parse(delivery.body), delivery.body)]
