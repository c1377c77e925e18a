"""Webhook bodies for the sandbox's changes, in Intuit's legacy and CloudEvents shapes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import orjson

from connectors.common.times import iso_utc
from connectors.quickbooks.sandbox.state import Change

_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted"}


def payloads(realm_id: str, changes: Sequence[Change], form: str) -> list[tuple[str, bytes]]:
    """(event id, body) per delivery: one body per change, legacy or CloudEvents."""
    if form not in ("legacy", "cloudevents"):
        raise ValueError(f"webhook format {form!r}: expected legacy or cloudevents")
    out = []
    for change in changes:
        event_id = hashlib.sha256(
            f"{realm_id}:{change.entity}:{change.object_id}:{change.operation}:{change.at}".encode()
        ).hexdigest()[:32]
        body = (
            _cloud(realm_id, change, event_id)
            if form == "cloudevents"
            else _legacy(realm_id, change)
        )
        out.append((event_id, orjson.dumps(body)))
    return out


def _legacy(realm_id: str, change: Change) -> dict:
    entity = {"name": change.entity, "id": change.object_id, "operation": change.operation,
              "lastUpdated": iso_utc(change.at).replace("Z", ".000Z")}  # fmt: skip
    return {
        "eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": [entity]}}]
    }


def _cloud(realm_id: str, change: Change, event_id: str) -> list[dict]:
    return [
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": f"qbo.{change.entity.lower()}.{_VERBS[change.operation]}.v1",
            "datacontenttype": "application/json",
            "time": iso_utc(change.at),
            "intuitentityid": change.object_id,
            "intuitaccountid": realm_id,
            "data": {},
        }
    ]
