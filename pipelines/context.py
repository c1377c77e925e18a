"""What runners of pipelines (the CLI, the Prefect flows) build a sync from, and ask of its outcome.

`build_sync_context(settings)` opens the store, the warehouse and the validated mappings the
configured environment names. `is_retriable(error_class)` answers, by our error classes' own
`retriable` attribute, whether a failed resource is worth another try. `parse_webhook(provider,
headers, body)` turns a stored inbox row into the provider's parsed events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors import errors as connector_errors
from connectors import providers
from connectors.common.webhooks import WebhookEvent
from pipelines import errors as pipeline_errors
from pipelines.specs import MappingCatalog
from pipelines.sync import SyncContext
from warehouse.destinations import Warehouse

_ERROR_MODULES = (connector_errors, pipeline_errors)


def build_sync_context(settings: Any, *, store: Any = None, **callbacks: Any) -> SyncContext:
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


def error_class(name: str | None) -> type[Exception] | None:
    """Our error class called `name` (as `ResourceOutcome.error_class` records it), if any."""
    if not name:
        return None
    for module in _ERROR_MODULES:
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, Exception):
            return found
    return None


def is_retriable(name: str | None) -> bool:
    """Whether a failure of class `name` is worth retrying: the class's `retriable` attribute.

    Unknown names (a bug, not a passing fault) and authentication failures are not retried."""
    found = error_class(name)
    return bool(getattr(found, "retriable", False)) if found is not None else False


def is_provider_fault(name: str | None) -> bool:
    """Whether a failure of class `name` says the provider (not our warehouse) misbehaved."""
    found = error_class(name)
    return found is not None and issubclass(found, connector_errors.ConnectorError)


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
    integration: Any, ctx: SyncContext, asked: Sequence[str] | None = None
) -> list[str]:
    """The resources a sync of `integration` reads: `asked`, checked, or every mapped one.

    Raises pipelines.errors.NoMappingError for an unknown or unmapped resource."""
    from pipelines.sync import mapped_resources

    connector = ctx.connector_factory(integration, ctx.store)
    try:
        return mapped_resources(ctx.catalog, connector, integration, asked)
    finally:
        connector.close()
