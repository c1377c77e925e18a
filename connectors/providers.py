"""The providers intsync knows: one descriptor each (`connectors/<provider>/__init__.py`).

Every list of providers in intsync reads this one: the credential checks, the connector
factory, the webhook routes and inbox, the sandbox command, the API's choices."""

from __future__ import annotations

from connectors import mailchimp, quickbooks, square, stripe
from connectors.provider import Provider

# In the order users see them (`--provider {stripe,square,mailchimp,quickbooks}`).
PROVIDERS: dict[str, Provider] = {
    p.name: p for p in (stripe.PROVIDER, square.PROVIDER, mailchimp.PROVIDER, quickbooks.PROVIDER)
}


def provider(name: str) -> Provider | None:
    """The descriptor of provider `name`, None when intsync does not know it."""
    return PROVIDERS.get(name)
