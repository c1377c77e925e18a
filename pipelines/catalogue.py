"""The connectors' field catalogue in the form spec validation takes: every intsync entry point
that loads specs checks them against what the providers' records hold."""

from __future__ import annotations

from functools import cache

from connectors.registry import PROVIDERS, connector_resources, field_catalogue
from mappings.catalogue import Catalogue


@cache
def connector_catalogue() -> Catalogue:
    """The providers intsync knows, the resources each connector reads, and their fields."""
    return Catalogue(
        providers=tuple(PROVIDERS),
        resources=connector_resources,
        fields=field_catalogue,
    )
