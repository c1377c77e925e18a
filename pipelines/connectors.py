"""Build the connector for an integration from its provider, credentials and base URL."""

from __future__ import annotations

from typing import Any

from connectors.base import Connector
from connectors.errors import ConfigurationError


def build_connector(integration: Any, store: Any) -> Connector:
    """The provider's connector, reading with the integration's decrypted credentials."""
    if integration.provider == "stripe":
        from connectors.stripe.client import StripeConnector

        return StripeConnector(integration.credentials, integration.base_url)
    raise ConfigurationError(
        f"no connector for provider {integration.provider!r} yet", provider=integration.provider
    )
