"""Each provider's webhook scheme, behind one call: verify a delivery, split it into events.

The schemes themselves live in `connectors.<provider>.webhooks`; this module only says which
credential and header each one takes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from connectors.common.webhooks import WebhookEvent
from connectors.mailchimp import webhooks as mailchimp
from connectors.quickbooks import webhooks as quickbooks
from connectors.square import webhooks as square
from connectors.stripe import webhooks as stripe

# Seconds a signed timestamp may be off; providers that sign no timestamp have none.
DEFAULT_TOLERANCES: dict[str, int] = {"stripe": stripe.DEFAULT_TOLERANCE}

Events = list[tuple[WebhookEvent, bytes]]


@dataclass(frozen=True)
class Delivery:
    """What a webhook request brought: body, headers (any case), query, and its URL."""

    body: bytes
    headers: Headers | Mapping[str, str]  # a request's Headers look names up in any case
    args: Mapping[str, str]
    url: str


def _stripe(credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None) -> Events:
    stripe.verify(
        delivery.body,
        delivery.headers.get("Stripe-Signature"),
        credentials.get("webhook_secret", ""),
        tolerance=tolerance if tolerance is not None else stripe.DEFAULT_TOLERANCE,
    )
    return [(stripe.parse(delivery.body), delivery.body)]


def _square(credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None) -> Events:
    square.verify(
        delivery.body,
        delivery.headers.get(square.SIGNATURE_HEADER),
        credentials.get("webhook_signature_key", ""),
        credentials.get("webhook_url") or delivery.url,
    )
    return [(square.parse(delivery.body), delivery.body)]


def _mailchimp(credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None) -> Events:
    mailchimp.verify(delivery.args.get("secret"), credentials.get("webhook_secret", ""))
    return [(mailchimp.parse(delivery.body), delivery.body)]


def _quickbooks(
    credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    quickbooks.verify(
        delivery.body,
        delivery.headers.get(quickbooks.SIGNATURE_HEADER),
        credentials.get("webhook_verifier_token", ""),
    )
    return quickbooks.split(delivery.body)


VERIFIERS: dict[str, Callable[[Mapping[str, str], Delivery, int | None], Events]] = {
    "stripe": _stripe,
    "square": _square,
    "mailchimp": _mailchimp,
    "quickbooks": _quickbooks,
}


def verify_delivery(
    provider: str, credentials: Mapping[str, str], delivery: Delivery, tolerance: int | None
) -> Events:
    """The delivery's events, each with the body to store; SignatureError when it is not genuine."""
    return VERIFIERS[provider](credentials, delivery, tolerance)


def check_mailchimp_url(credentials: Mapping[str, Any], secret_param: str | None) -> None:
    """Mailchimp's URL validation GET: the secret must match as on every POST."""
    mailchimp.verify(secret_param, credentials.get("webhook_secret", ""))
