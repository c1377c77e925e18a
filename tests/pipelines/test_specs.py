"""The shipped mapping catalog against the connectors it maps."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from connectors.mailchimp.resources import RESOURCES as MAILCHIMP
from connectors.quickbooks.entities import RESOURCES as QUICKBOOKS
from connectors.square.resources import RESOURCES as SQUARE
from connectors.stripe.client import StripeConnector
from connectors.stripe.resources import RESOURCES as STRIPE
from mappings import SpecValidationError, load_specs
from pipelines.errors import NoMappingError
from pipelines.reads import mapped_resources
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


COUPONS = "provider: stripe\nresource: coupons\ntable: stripe_coupons\nfields:\n  id: id\n"


def test_a_spec_for_a_resource_no_connector_reads_stops_the_sync_before_it_starts(tmp_path):
    (tmp_path / "stripe").mkdir()
    (tmp_path / "stripe" / "coupons.yaml").write_text(COUPONS)
    with pytest.raises(SpecValidationError) as raised:
        MappingCatalog(tmp_path)
    assert [i.message for i in raised.value.errors] == [
        "intsync does not read stripe resource 'coupons': its stripe connector reads "
        "balance_transactions, charges, customers, disputes, invoices, payment_intents, payouts, "
        "prices, products, refunds, subscriptions"
    ]


def test_a_sync_says_so_rather_than_skip_a_mapped_resource_it_cannot_read(tmp_path):
    (tmp_path / "stripe").mkdir()
    (tmp_path / "stripe" / "coupons.yaml").write_text(COUPONS)
    catalog = MappingCatalog()
    catalog.spec_set = load_specs(tmp_path)  # as if validation had let it through
    connector = StripeConnector({"api_key": "sk_test_unused"}, "http://127.0.0.1:9")
    integration = SimpleNamespace(provider="stripe")
    with pytest.raises(NoMappingError) as raised:
        mapped_resources(catalog, connector, integration, None)
    assert str(raised.value).startswith(
        "a spec maps stripe 'coupons', which the stripe connector does not read (it reads "
    )
    connector.close()
