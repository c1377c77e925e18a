"""What runners of pipelines (the CLI, the Prefect flows) build a sync from, and ask of its outcome.

`build_sync_context(settings)` opens the store, the warehouse and the validated mappings the
configured environment names. `parse_webhook(provider, headers, body)` turns a stored inbox row
into the provider's parsed events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors import errors as connector_errors
from connectors import providers
from connectors.common.webhooks import WebhookEvent
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from warehouse.destinations import Warehouse

if TYPE_CHECKING:
    from warehouse.store import Integration, Store


def build_sync_context(
    settings: Any, *, store: Store | None = None, **callbacks: Any
) -> SyncContext:
    """A SyncContext for `settings` (an `intsync.config.Settings`): its store (opened unless
    given), warehouse, mappings (the shipped specs with the team's INTSYNC_SPECS folder over
    them) and dlt folder. Raises mappings.SpecValidationError when the specs are invalid."""
    if store is None:
        from warehouse.store import open_store

        store = open_store(settings.database_url, settings.secret_key())
    return SyncContext(
        store=store,
        warehouse=Warehouse(settings.warehouse_url),
        catalog=MappingCatalog(hash_salt=settings.hash_salt, team_dir=settings.specs_dir),
        dlt_dir=settings.dlt_dir,
        read_processes=settings.read_processes,
        **callbacks,
    )


def parse_webhook(provider: str, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """The events in one stored webhook delivery, parsed as the provider's descriptor says
    (a delivery of many events is stored as one body each).

    Raises connectors.errors.SignatureError when the body cannot be parsed, and
    ConfigurationError when intsync does not know the provider."""
    described = providers.provider(provider)
    if described is None:
        raise connector_errors.ConfigurationError(
            f"no webhook parser for provider {provider!r} (connectors/{provider}/__init__.py)",
            provider=provider,
        )
    return [described.webhooks.parse(body)]


def resources_to_sync(
    integration: Integration, ctx: SyncContext, asked: Sequence[str] | None = None
) -> list[str]:
    """The resources a sync of `integration` reads: `asked`, checked, or every mapped one.

    Raises pipelines.errors.NoMappingError for an unknown or unmapped resource."""
    from pipelines.reads import mapped_resources

    connector = ctx.connector_factory(integration, ctx.store)
    try:
        return mapped_resources(ctx.catalog, connector, integration, asked)
    finally:
        connector.close()
