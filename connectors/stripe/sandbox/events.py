"""Stripe event bodies and the event type each change produces."""

from __future__ import annotations

from typing import Any

from connectors.stripe.sandbox.resources import RESOURCES
from connectors.stripe.sandbox.templates import TEMPLATES

Obj = dict[str, Any]

# the API version the installed stripe SDK (v16) pins
API_VERSION = "2026-10-28.endive"


def event_type(resource: str, action: str, obj: Obj) -> str | None:
    """`customer.created`, `charge.succeeded`, `customer.subscription.deleted`, ... or None when
    Stripe sends no event for this resource."""
    prefix = RESOURCES[resource].event_prefix
    if prefix is None:
        return None
    if resource == "charges" and action == "created":
        status = obj.get("status")
        return {"succeeded": "charge.succeeded", "failed": "charge.failed"}.get(
            status or "", "charge.pending"
        )
    return f"{prefix}.{action}"


def make_event(
    event_id: str,
    kind: str,
    obj: Obj,
    created: int,
    *,
    previous: Obj | None = None,
    account: str | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> Obj:
    """An event shaped like Stripe's (`resources.event` in the fixtures)."""
    data: Obj = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    event = {
        **TEMPLATES["events"],
        "id": event_id,
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "type": kind,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
    }
    if account is not None:
        event["account"] = account
    return event


def previous_attributes(before: Obj, after: Obj) -> Obj:
    """Stripe's `previous_attributes`: old values of changed top-level fields; for changed
    dicts (metadata, address) only the changed keys, with null for keys that were absent."""
    previous: Obj = {}
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            previous[key] = {k: old.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
        else:
            previous[key] = old
    return previous
