"""Build the connector for an integration from its provider's descriptor, credentials and base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Connector
from connectors.errors import ConfigurationError
from connectors.provider import ConnectorArgs
from connectors.providers import provider
from warehouse.errors import ConcurrentUpdateError

if TYPE_CHECKING:
    from warehouse.store import Integration, Store


def build_connector(integration: Integration, store: Store) -> Connector:
    """The provider's connector, reading with the integration's decrypted credentials."""
    described = provider(integration.provider)
    if described is None:
        raise ConfigurationError(
            f"no connector for provider {integration.provider!r} yet",
            provider=integration.provider,
        )
    credentials = integration.credentials
    args = ConnectorArgs(
        credentials=credentials,
        base_url=integration.base_url,
        store=store,
        integration_id=integration.id,
        conflict=ConcurrentUpdateError,
        rate_per_second=described.rate_for(credentials),
    )
    return described.connect(args)
