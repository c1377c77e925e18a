"""Build the connector for an integration from its provider, credentials and base URL."""

from __future__ import annotations

from typing import Any

from connectors.base import Connector
from connectors.errors import ConfigurationError


def build_connector(integration: Any, store: Any) -> Connector:
    """The provider's connector, reading with the integration's decrypted credentials."""
    if integration.provider == "stripe":
        from connectors.stripe.client import StripeConnector

        return StripeConnector(
            integration.credentials,
            integration.base_url,
            rate_per_second=_stripe_rate(integration.credentials),
        )
    if integration.provider == "mailchimp":
        from connectors.mailchimp.client import MailchimpConnector

        return MailchimpConnector(integration.credentials, integration.base_url)
    if integration.provider == "square":
        from connectors.square.client import SquareConnector
        from connectors.square.oauth import StoreTokens

        # Square publishes no limits: 20 requests/s per merchant stays clear of its 429s.
        return SquareConnector(
            integration.credentials,
            integration.base_url,
            token_store=StoreTokens(store, integration.id),
            rate_per_second=20.0,
        )
    if integration.provider == "quickbooks":
        from connectors.quickbooks.client import QuickBooksConnector
        from connectors.quickbooks.tokens import IntegrationTokenStore
        from warehouse.errors import ConcurrentUpdateError

        tokens = IntegrationTokenStore(store, integration.id, conflict=ConcurrentUpdateError)
        return QuickBooksConnector(
            integration.credentials, integration.base_url, token_store=tokens
        )
    raise ConfigurationError(
        f"no connector for provider {integration.provider!r} yet", provider=integration.provider
    )


def _stripe_rate(credentials: dict[str, str]) -> float:
    """Stripe's read limit: 100/s in live mode, 25/s in test mode, unless the account says more."""
    if credentials.get("requests_per_second"):
        try:
            return float(credentials["requests_per_second"])
        except ValueError:
            raise ConfigurationError(
                f"requests_per_second={credentials['requests_per_second']!r} is not a number",
                provider="stripe",
            ) from None
    live = credentials.get("api_key", "").startswith(("sk_live_", "rk_live_"))
    return 100.0 if live else 25.0
