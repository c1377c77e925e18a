"""What every provider's webhook parser returns, and the signature helpers they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any


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
