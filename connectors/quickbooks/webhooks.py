"""QuickBooks webhooks: verify `intuit-signature`, split a delivery into one event per entity change.

Deliveries come in two shapes: the legacy `{"eventNotifications": [...]}` object and the
CloudEvents array. Both carry ids only; the entity is fetched afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.common import webhooks as checked
from connectors.common.webhooks import WebhookEvent, constant_time_equal, hmac_sha256_b64
from connectors.errors import SignatureError, WebhookBodyError
from connectors.provider import Delivery, Events

SIGNATURE_HEADER = "intuit-signature"
# Intuit signs no timestamp: replays are caught by deduplicating on the event id.
DEFAULT_TOLERANCE = None
_DELETED = {"delete", "deleted"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# CloudEvents spell entities in lower case; these are the ones of more than one word.
_ENTITY_BY_LOWER = {
    name.lower(): name
    for name in (
        "SalesReceipt",
        "CreditMemo",
        "RefundReceipt",
        "JournalEntry",
        "PurchaseOrder",
        "BillPayment",
        "TimeActivity",
        "VendorCredit",
        "TaxCode",
        "TaxRate",
        "PaymentMethod",
    )
}


def verify(payload: bytes, signature: str | None, verifier_token: str) -> None:
    """Raise SignatureError unless `signature` is base64 HMAC-SHA256 of the body under the token."""
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header", provider="quickbooks")
    if not verifier_token:
        raise SignatureError(
            "no QuickBooks verifier token configured: set credential webhook_verifier_token",
            provider="quickbooks",
        )
    if not constant_time_equal(hmac_sha256_b64(verifier_token, payload), signature.strip()):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the payload: check webhook_verifier_token",
            provider="quickbooks",
        )


def split(payload: bytes) -> list[tuple[WebhookEvent, bytes]]:
    """Each entity change in a delivery, with a body of its own in the delivery's shape.

    Parsing such a body with `parse` gives the same event back, so each can be stored alone.
    """
    body = checked.load_json(payload, "quickbooks", "QuickBooks")
    if isinstance(body, list):
        return [(_cloud_event(item), orjson.dumps([item])) for item in body]
    if not isinstance(body, dict) or not isinstance(body.get("eventNotifications"), list):
        raise WebhookBodyError(
            "QuickBooks webhook body is neither eventNotifications nor a CloudEvents array",
            provider="quickbooks",
        )
    events: list[tuple[WebhookEvent, bytes]] = []
    for notification in body["eventNotifications"]:
        if not isinstance(notification, dict):
            raise WebhookBodyError(
                "QuickBooks eventNotifications item is not an object", provider="quickbooks"
            )
        realm = checked.optional_text(notification.get("realmId"), "quickbooks", "realmId") or ""
        change = checked.optional_object(
            notification.get("dataChangeEvent"), "quickbooks", "QuickBooks dataChangeEvent"
        )
        entities = change.get("entities", [])
        if not isinstance(entities, list):
            raise WebhookBodyError(
                "QuickBooks dataChangeEvent.entities must be an array", provider="quickbooks"
            )
        for entity in entities:
            single = {
                "eventNotifications": [
                    {"realmId": realm, "dataChangeEvent": {"entities": [entity]}}
                ]
            }
            events.append((_legacy_event(realm, entity), orjson.dumps(single)))
    return events


def parse_all(payload: bytes) -> list[WebhookEvent]:
    """Every entity change in a (verified) delivery."""
    return [event for event, _ in split(payload)]


def parse(payload: bytes) -> WebhookEvent:
    """The one event in a stored single-change body (see `split`)."""
    events = parse_all(payload)
    if len(events) != 1:
        raise SignatureError(
            f"QuickBooks body holds {len(events)} changes; store each alone with split()",
            provider="quickbooks",
        )
    return events[0]


def resource_for(entity: str) -> str:
    """`Invoice` -> `invoices`, `SalesReceipt` -> `sales_receipts`, `Class` -> `classes`,
    `JournalEntry` -> `journal_entries`."""
    snake = _CAMEL.sub("_", entity.strip()).lower()
    if snake.endswith("y") and snake[-2:-1] not in ("a", "e", "i", "o", "u"):
        return snake[:-1] + "ies"
    return snake + ("es" if snake.endswith(("s", "x", "ch")) else "s")


def _legacy_event(realm: str, entity: Any) -> WebhookEvent:
    if not isinstance(entity, dict):
        raise WebhookBodyError("QuickBooks entity change is not an object", provider="quickbooks")
    name = _text(entity.get("name"), "entity name")
    object_id = _text(entity.get("id"), "entity id")
    operation = (
        checked.optional_text(entity.get("operation"), "quickbooks", "operation") or "Update"
    )
    updated = checked.optional_text(entity.get("lastUpdated"), "quickbooks", "lastUpdated") or ""
    return WebhookEvent(
        provider="quickbooks",
        event_id=checked.event_id_text(
            f"{realm}:{name}:{object_id}:{operation}:{updated}", "quickbooks", "QuickBooks change"
        ),
        type=f"{name}.{operation}",
        occurred_at=checked.iso_time(updated, "quickbooks", "QuickBooks lastUpdated"),
        resource=resource_for(name),
        object_id=object_id,
        object=None,
        deleted=operation.lower() in _DELETED,
        account=realm or None,
        raw=entity,
    )


def _cloud_event(item: Any) -> WebhookEvent:
    if not isinstance(item, dict):
        raise WebhookBodyError("QuickBooks CloudEvent is not an object", provider="quickbooks")
    event_id = checked.event_id_text(item.get("id"), "quickbooks", "QuickBooks CloudEvent id")
    event_type = _text(item.get("type"), "CloudEvent type")
    parts = event_type.split(".")  # qbo.invoice.updated.v1
    if len(parts) < 3 or not parts[1]:
        raise WebhookBodyError(
            f"QuickBooks CloudEvent type {event_type[:60]!r} is not understood "
            "(expected qbo.<entity>.<operation>.v1)",
            provider="quickbooks",
        )
    account = checked.optional_text(item.get("intuitaccountid"), "quickbooks", "intuitaccountid")
    return WebhookEvent(
        provider="quickbooks",
        event_id=event_id,
        type=event_type,
        occurred_at=checked.iso_time(item.get("time"), "quickbooks", "QuickBooks CloudEvent time"),
        resource=resource_for(_ENTITY_BY_LOWER.get(parts[1].lower(), parts[1].title())),
        object_id=_text(item.get("intuitentityid"), "intuitentityid"),
        object=None,
        deleted=parts[2].lower() in _DELETED,
        account=account or None,
        raw=item,
    )


def _text(value: Any, field_name: str) -> str:
    """A required string (an entity name or id, a type): 1 to 255 characters."""
    return checked.event_id_text(value, "quickbooks", f"QuickBooks {field_name}")


def verify_delivery(
    credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's events, each with its own body, once `intuit-signature` verifies with
    the integration's `webhook_verifier_token`."""
    verify(
        delivery.body,
        delivery.headers.get(SIGNATURE_HEADER),
        credentials.get("webhook_verifier_token", ""),
    )
    return split(delivery.body)
