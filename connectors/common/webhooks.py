"""What every provider's webhook parser returns, and the signature helpers they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import orjson

from connectors.common.times import iso_utc, parse_iso
from connectors.errors import WebhookBodyError

# The inbox keeps event ids in a column of 255 characters.
MAX_EVENT_ID_CHARS = 255
# datetime's range: 0001-01-01 to 9999-12-31, in unix seconds.
_EARLIEST, _LATEST = -62135596800, 253402300799


@dataclass(frozen=True)
class WebhookEvent:
    """One provider notification, parsed.

    `object` is the object's payload when the provider sends it, None when it sends ids only
    (fetch it then). `occurred_at` is ISO-8601 UTC. `deleted` says the object is gone.
    """

    provider: str
    event_id: str
    type: str
    occurred_at: str
    resource: str | None
    object_id: str | None
    object: dict[str, Any] | None
    deleted: bool = False
    account: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _as_bytes(value: str | bytes) -> bytes:
    # surrogatepass: any str a request can carry encodes (hmac.compare_digest refuses str
    # with non-ASCII characters, and a strict encode would refuse lone surrogates)
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare two signatures without leaking, through timing, where they differ; any text
    (a caller's signature may hold non-ASCII characters) compares, unequal, without error."""
    return hmac.compare_digest(_as_bytes(a), _as_bytes(b))


def hmac_sha256(secret: str | bytes, message: str | bytes) -> bytes:
    """Raw HMAC-SHA256 of `message` under `secret`."""
    return hmac.new(_as_bytes(secret), _as_bytes(message), hashlib.sha256).digest()


def hmac_sha256_hex(secret: str | bytes, message: str | bytes) -> str:
    """Hex HMAC-SHA256 (Stripe style)."""
    return hmac_sha256(secret, message).hex()


def hmac_sha256_b64(secret: str | bytes, message: str | bytes) -> str:
    """Base64 HMAC-SHA256 (Square and QuickBooks style)."""
    return base64.b64encode(hmac_sha256(secret, message)).decode()


def load_json(payload: bytes, provider: str, label: str) -> Any:
    """The JSON in a delivery body; WebhookBodyError (400) when it is not JSON."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise WebhookBodyError(
            f"{label} webhook body is not JSON: {exc}", provider=provider
        ) from None


def event_id_text(value: Any, provider: str, field_name: str) -> str:
    """An event id as the inbox keeps it: a non-empty string of at most 255 characters without
    control characters; WebhookBodyError naming the field otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise WebhookBodyError(
            f"{field_name} must be a non-empty string, not {_shown(value)}", provider=provider
        )
    if len(value) > MAX_EVENT_ID_CHARS:
        raise WebhookBodyError(
            f"{field_name} is {len(value)} characters long, more than {MAX_EVENT_ID_CHARS}",
            provider=provider,
        )
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise WebhookBodyError(f"{field_name} holds control characters", provider=provider)
    return value


def optional_text(value: Any, provider: str, field_name: str) -> str | None:
    """A string field that may be absent (None); WebhookBodyError when it is another type."""
    if value is None or isinstance(value, str):
        return value
    raise WebhookBodyError(f"{field_name} must be a string, not {_shown(value)}", provider=provider)


def optional_object(value: Any, provider: str, field_name: str) -> dict[str, Any]:
    """An object field that may be absent (then {}); WebhookBodyError when it is another type."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise WebhookBodyError(
        f"{field_name} must be an object, not {_shown(value)}", provider=provider
    )


def unix_time_iso(value: Any, provider: str, field_name: str) -> str:
    """Unix seconds (an integer within datetime's range) as ISO-8601 UTC."""
    if isinstance(value, bool) or not isinstance(value, int) or not _EARLIEST <= value <= _LATEST:
        raise WebhookBodyError(
            f"{field_name} must be unix seconds (an integer), not {_shown(value)}",
            provider=provider,
        )
    return iso_utc(value)


def iso_time(value: Any, provider: str, field_name: str) -> str:
    """An ISO-8601 time as ISO-8601 UTC; WebhookBodyError when it is not one."""
    if isinstance(value, str) and value:
        try:
            return iso_utc(parse_iso(value))
        except (ValueError, OverflowError, OSError):
            pass
    raise WebhookBodyError(
        f"{field_name} must be an ISO-8601 time, not {_shown(value)}", provider=provider
    )


def _shown(value: Any) -> str:
    """A bad value as an error message shows it: its type, and short scalars themselves."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 40 else f"{type(value).__name__} of {len(text)} characters"
