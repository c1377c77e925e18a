"""QuickBooks webhooks: verify `intuit-signature`, split a delivery into one event per entity change.

Deliveries come in two shapes: the legacy `{"eventNotifications": [...]}` object and the
CloudEvents array. Both carry ids only; the entity is fetched afterwards.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from connectors.common.times import iso_utc, parse_iso
from connectors.common.webhooks import WebhookEvent, constant_time_equal, hmac_sha256_b64
from connectors.errors import SignatureError

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
    body = _load(payload)
    if isinstance(body, list):
        return [(_cloud_event(item), orjson.dumps([item])) for item in body]
    if not isinstance(body, dict) or not isinstance(body.get("eventNotifications"), list):
        raise SignatureError(
            "QuickBooks webhook body is neither eventNotifications nor a CloudEvents array",
            provider="quickbooks",
        )
    events: list[tuple[WebhookEvent, bytes]] = []
    for notification in body["eventNotifications"]:
        if not isinstance(notification, dict):
            raise SignatureError(
                "QuickBooks eventNotifications item is not an object", provider="quickbooks"
            )
        realm = str(notification.get("realmId") or "")
        entities = (notification.get("dataChangeEvent") or {}).get("entities") or []
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
    if not isinstance(entity, dict) or not entity.get("name") or not entity.get("id"):
        raise SignatureError("QuickBooks entity change lacks name or id", provider="quickbooks")
    operation = str(entity.get("operation") or "Update")
    updated = str(entity.get("lastUpdated") or "")
    name, object_id = str(entity["name"]), str(entity["id"])
    return WebhookEvent(
        provider="quickbooks",
        event_id=f"{realm}:{name}:{object_id}:{operation}:{updated}",
        type=f"{name}.{operation}",
        occurred_at=_iso(updated),
        resource=resource_for(name),
        object_id=object_id,
        object=None,
        deleted=operation.lower() in _DELETED,
        account=realm or None,
        raw=entity,
    )


def _cloud_event(item: Any) -> WebhookEvent:
    if not isinstance(item, dict) or not item.get("id") or not item.get("type"):
        raise SignatureError("QuickBooks CloudEvent lacks id or type", provider="quickbooks")
    parts = str(item["type"]).split(".")  # qbo.invoice.updated.v1
    if len(parts) < 3 or not item.get("intuitentityid"):
        raise SignatureError(
            f"QuickBooks CloudEvent type {item['type']!r} or entity id is not understood",
            provider="quickbooks",
        )
    return WebhookEvent(
        provider="quickbooks",
        event_id=str(item["id"]),
        type=str(item["type"]),
        occurred_at=_iso(str(item.get("time") or "")),
        resource=resource_for(_ENTITY_BY_LOWER.get(parts[1].lower(), parts[1].title())),
        object_id=str(item["intuitentityid"]),
        object=None,
        deleted=parts[2].lower() in _DELETED,
        account=str(item.get("intuitaccountid") or "") or None,
        raw=item,
    )


def _load(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise SignatureError(
            f"QuickBooks webhook body is not JSON: {exc}", provider="quickbooks"
        ) from None


def _iso(value: str) -> str:
    try:
        return iso_utc(parse_iso(value))
    except ValueError:
        raise SignatureError(
            f"QuickBooks change time {value!r} is not ISO-8601", provider="quickbooks"
        ) from None
