"""Checking a connector's records against its provider's field catalogue."""

from __future__ import annotations

from typing import Any

from connectors.registry import connector_resources, field_catalogue
from mappings.catalogue import unknown_paths


def fields_outside_catalogue(connector: Any) -> dict[str, list[str]]:
    """{resource: paths not in the catalogue} over a full read of every resource the connector
    reads (empty when every record keeps to the catalogue)."""
    assert connector.resources() == list(connector_resources(connector.provider))
    found: dict[str, list[str]] = {}
    for resource in connector.resources():
        shape = field_catalogue(connector.provider, resource)
        assert shape is not None, resource
        records = [r for page in connector.read(resource, {}) for r in page.records]
        assert records, f"the sandbox serves no {resource}"
        misses = sorted({path for record in records for path in unknown_paths(shape, record)})
        if misses:
            found[resource] = misses
    return found
