"""QuickBooks' field catalogue, written from the Accounting API's documented entities: it holds
every field the sandbox's entities carry, references are objects with `value`."""

from __future__ import annotations

from connectors.quickbooks.entities import RESOURCES
from connectors.registry import connector_resources, field_catalogue
from mappings.catalogue import field_names, follow
from tests.connectors.fields_support import fields_outside_catalogue


def test_every_entity_read_has_a_catalogue():
    assert connector_resources("quickbooks") == tuple(RESOURCES)
    for resource in RESOURCES:
        assert {"Id", "SyncToken", "MetaData"} <= set(
            field_names(field_catalogue("quickbooks", resource))
        )


def test_documented_entities():
    invoices = field_catalogue("quickbooks", "invoices")
    assert field_names(follow(invoices, ("CustomerRef",), "")) == ["name", "type", "value"]
    line = follow(invoices, ("Line", 0, "SalesItemLineDetail"), "")
    assert {"ItemRef", "Qty", "UnitPrice"} <= set(field_names(line))
    payments = field_catalogue("quickbooks", "payments")
    assert field_names(follow(payments, ("Line", 0, "LinkedTxn", 0), "")) == [
        "TxnId",
        "TxnLineId",
        "TxnType",
    ]


def test_sandbox_entities_keep_to_the_catalogue(connector):
    assert fields_outside_catalogue(connector) == {}
