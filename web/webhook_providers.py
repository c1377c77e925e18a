"""Each provider's webhook scheme, behind one call: verify a delivery, split it into events.

The schemes are in the providers' descriptors (`connectors.providers`); this module only reads
them for the webhook routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors.provider import Delivery, Events
from connectors.providers import PROVIDERS

__all__ = ["DEFAULT_TOLERANCES", "Delivery", "url_check", "verify_delivery"]

# Seconds a signed timestamp may be off; providers that sign no timestamp have none.
DEFAULT_TOLERANCES: dict[str, int] = {
    name: p.webhooks.tolerance for name, p in PROVIDERS.items() if p.webhooks.tolerance is not None
}


def verify_delivery(
    provider: str, credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's events, each with the body to store; SignatureError when it is not genuine."""
    return PROVIDERS[provider].webhooks.verify(credentials, delivery, tolerance)


def url_check(provider: str) -> Callable[[Mapping[str, str], Mapping[str, str]], None] | None:
    """The provider's answer to a URL validation GET (credentials, query), None when the
    provider sends none (its webhooks are POST only)."""
    return PROVIDERS[provider].webhooks.check_url
