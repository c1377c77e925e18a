"""Try an integration's connection: one authenticated request, before it is trusted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.errors import AuthenticationError, ConnectorError, UnreachableError
from pipelines.connectors import build_connector

if TYPE_CHECKING:
    from warehouse.store import Integration, Store


class ConnectionCheckError(Exception):
    """The provider refused or could not be reached with these settings: fix them, or skip
    the check (`--no-check`) to store them anyway."""

    retriable = False


def check_connection(integration: Integration, store: Store) -> str:
    """Read the first page of the connector's first resource (one authenticated request for
    most providers; QuickBooks refreshes its token first); a line saying what answered.

    Raises ConnectionCheckError saying whether the provider refused the credentials, was
    unreachable, or failed otherwise."""
    connector = build_connector(integration, store)
    try:
        resource = connector.resources()[0]
        pages = iter(connector.read(resource, {}))
        try:
            first = next(pages, None)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
    except AuthenticationError as exc:
        raise ConnectionCheckError(
            f"{integration.provider} refused the credentials: {exc}"
        ) from None
    except UnreachableError as exc:
        raise ConnectionCheckError(str(exc)) from None
    except ConnectorError as exc:
        raise ConnectionCheckError(
            f"{integration.provider} answered the connection check with an error: {exc}"
        ) from None
    finally:
        connector.close()
    rows = len(first.records) if first is not None else 0
    return f"{integration.provider} answered: read {rows} {resource} on the first page"
