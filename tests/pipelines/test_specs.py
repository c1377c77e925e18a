"""The shipped mapping catalog against the connectors it maps."""

from __future__ import annotations

import pytest

from connectors.mailchimp.resources import RESOURCES as MAILCHIMP
from connectors.quickbooks.entities import RESOURCES as QUICKBOOKS
from connectors.square.resources import RESOURCES as SQUARE
from connectors.stripe.resources import RESOURCES as STRIPE
from pipelines.specs import MappingCatalog

CONNECTOR_RESOURCES = {
    "stripe": set(STRIPE),
    "square": set(SQUARE),
    "mailchimp": set(MAILCHIMP),
    "quickbooks": set(QUICKBOOKS),
}


@pytest.mark.parametrize("provider", sorted(CONNECTOR_RESOURCES))
def test_every_mapped_resource_is_one_the_connector_reads(provider):
    # sync-due takes a provider's mapped resources from the catalog: one its connector does not
    # have would never be synced, and would make every integration of the provider always due
    mapped = MappingCatalog().mapped_resources(provider)
    assert mapped, f"{provider} has mapped resources"
    assert set(mapped) <= CONNECTOR_RESOURCES[provider]
    assert mapped == sorted(mapped)
