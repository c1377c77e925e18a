"""Mailchimp webhooks: no signature, a secret in the callback URL; form-encoded event bodies."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from connectors.common.webhooks import (
    WebhookEvent,
    constant_time_equal,
    event_id_text,
    optional_text,
)
from connectors.errors import SignatureError, WebhookBodyError
from connectors.provider import Delivery, Events

# Mailchimp sends no timestamp to check: replays are caught by the derived event id.
DEFAULT_TOLERANCE = None
MEMBER_EVENTS = frozenset({"subscribe", "unsubscribe", "profile", "upemail", "cleaned"})
_STATUS_BY_TYPE = {"subscribe": "subscribed", "unsubscribe": "unsubscribed", "cleaned": "cleaned"}
_KEY = re.compile(r"^data((?:\[[^\]]*\])+)$")
# Mailchimp nests form fields at most three deep (data[merges][GROUPINGS][0][name]).
MAX_DEPTH = 6


def verify(secret_param: str | None, secret: str) -> None:
    """Raise SignatureError unless the `?secret=` query value equals the configured secret."""
    if not secret:
        raise SignatureError(
            "no Mailchimp webhook secret configured: set credential webhook_secret and put it in "
            "the callback URL as ?secret=...",
            provider="mailchimp",
        )
    if not secret_param:
        raise SignatureError("missing ?secret= in the Mailchimp callback URL", provider="mailchimp")
    if not constant_time_equal(secret_param, secret):
        raise SignatureError(
            "?secret= does not match the integration's webhook_secret", provider="mailchimp"
        )


def form_fields(payload: bytes) -> dict[str, Any]:
    """`type=...&data[merges][FNAME]=Ann` into `{"type": ..., "data": {"merges": {"FNAME": "Ann"}}}`.

    WebhookBodyError when a key is nested deeper than Mailchimp ever nests (MAX_DEPTH) or a
    key is given both a value and children (`data[a]=1&data[a][b]=2`)."""
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(payload.decode("utf-8", "replace"), keep_blank_values=True):
        match = _KEY.match(key) if key.startswith("data[") else None
        if not match:
            if key == "data" or key in fields:
                raise _conflict(key)
            fields[key] = value
            continue
        parts = match.group(1)[1:-1].split("][")
        if len(parts) > MAX_DEPTH:
            raise WebhookBodyError(
                f"Mailchimp field {key[:40]!r}... is nested {len(parts)} deep, more than "
                f"{MAX_DEPTH}",
                provider="mailchimp",
            )
        node = fields.setdefault("data", {})
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _conflict(key)
        if parts[-1] in node:
            raise _conflict(key)
        node[parts[-1]] = value
    return fields


def _conflict(key: str) -> WebhookBodyError:
    return WebhookBodyError(
        f"Mailchimp field {key[:60]!r} is given twice, or both a value and fields inside",
        provider="mailchimp",
    )


def event_id(fields: dict[str, Any]) -> str:
    """A stable id for an event without one: a hash of its type, fired_at and data."""
    canonical = repr((fields.get("type"), fields.get("fired_at"), _sorted(fields.get("data"))))
    return "mc_" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def parse(payload: bytes) -> WebhookEvent:
    """The event in a (verified) form-encoded Mailchimp POST body; WebhookBodyError (400,
    nothing stored) when it lacks type or fired_at or a field intsync reads has inner fields."""
    fields = form_fields(payload)
    kind = fields.get("type")
    if not kind or not fields.get("fired_at"):
        raise WebhookBodyError(
            "Mailchimp webhook body lacks type or fired_at (is it form-encoded?)",
            provider="mailchimp",
        )
    data: dict[str, Any] = fields.get("data") or {}
    for name in ("email", "new_email", "id", "list_id", "action"):
        optional_text(data.get(name), "mailchimp", f"Mailchimp data[{name}]")
    member = kind in MEMBER_EVENTS
    email = data.get("new_email") or data.get("email") if member else None
    object_id = _member_id(email) if email else data.get("id")
    obj = _member(kind, data, email, object_id) if member and email else None
    return WebhookEvent(
        provider="mailchimp",
        event_id=event_id(fields),
        type=event_id_text(kind, "mailchimp", "Mailchimp type"),
        occurred_at=_occurred_at(str(fields["fired_at"])),
        resource="members" if member else ("campaigns" if kind == "campaign" else None),
        object_id=object_id,
        object=obj,
        deleted=kind == "unsubscribe" and data.get("action") == "delete",
        account=data.get("list_id"),
        raw=fields,
    )


def _member(kind: str, data: dict[str, Any], email: str, object_id: str | None) -> dict[str, Any]:
    """The member as the API names its fields, as far as the event tells."""
    member: dict[str, Any] = {
        "id": object_id,
        "email_address": email,
        "list_id": data.get("list_id"),
    }
    if kind in _STATUS_BY_TYPE:
        member["status"] = _STATUS_BY_TYPE[kind]
    if isinstance(data.get("merges"), dict):
        member["merge_fields"] = data["merges"]
    return member


def _member_id(email: str) -> str:
    """Mailchimp's member id (subscriber hash): MD5 of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()  # noqa: S324 - an id, not security


def _occurred_at(fired_at: str) -> str:
    try:
        parsed = datetime.strptime(fired_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise WebhookBodyError(
            f"Mailchimp fired_at {fired_at[:40]!r} is not 'Y-m-d H:i:s'", provider="mailchimp"
        ) from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _sorted(v)) for k, v in value.items()))
    return value


def verify_delivery(
    credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's one event with its body, once its `?secret=` matches the integration's
    `webhook_secret`."""
    verify(delivery.args.get("secret"), credentials.get("webhook_secret", ""))
    return [(parse(delivery.body), delivery.body)]


def check_url(credentials: Mapping[str, str], args: Mapping[str, str]) -> None:
    """Mailchimp's URL validation GET: the `?secret=` must match as on every POST."""
    verify(args.get("secret"), credentials.get("webhook_secret", ""))
