"""Drift: fields the provider starts sending that no spec maps, in a sync's log and in raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.drift import field_drift
from pipelines.fields import page_fields, record_fields
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from pipelines.sync import sync_integration
from tests.pipelines.conftest import KEY
from warehouse.destinations import Warehouse

NEW = {"shipping": {"phone": "+1 555 0100", "name": None}}


@pytest.fixture
def ctx(store, empty_warehouse: Warehouse, tmp_path: Path) -> SyncContext:
    return SyncContext(
        store=store, warehouse=empty_warehouse, catalog=MappingCatalog(), dlt_dir=tmp_path / "dlt"
    )


def _notes(ctx: SyncContext, integration) -> str:
    result = sync_integration(integration, ctx, resources=["charges"])
    assert result.ok, result.error
    (log,) = [e for e in ctx.store.list_sync_logs(integration_id=integration.id, limit=1)]
    return "; ".join(log.details["notes"])


def test_the_first_sync_that_sees_a_new_field_notes_it_once(ctx, integration, stripe_sandbox):
    first = _notes(ctx, integration)
    assert "fields from stripe charges are not mapped by any spec" in first
    assert "shipping" not in first

    stripe_sandbox.touch(KEY, "charges", count=3, seed=1, fields=NEW)
    second = _notes(ctx, integration)
    assert (
        "new field from stripe charges not mapped by any spec: shipping.phone "
        "(see intsync mappings drift)"
    ) in second

    stripe_sandbox.touch(KEY, "charges", count=3, seed=2, fields=NEW)
    assert "shipping" not in _notes(ctx, integration), "noted once"


def test_drift_lists_a_field_the_sandbox_starts_sending_with_counts_and_an_example(
    ctx, integration, stripe_sandbox
):
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    stripe_sandbox.touch(KEY, "charges", count=3, seed=1, fields=NEW)
    assert sync_integration(integration, ctx, resources=["charges"]).ok

    found = {
        f.field: f
        for f in field_drift(ctx.warehouse, ctx.catalog.spec_set, [("stripe", "charges")])
    }
    phone = found["shipping.phone"]
    assert (phone.records, phone.sampled, phone.example, phone.venues) == (
        3,
        60,
        "+1 555 0100",
        ["v1"],
    )
    assert "shipping.name" not in found, "a field that is always null carries nothing"
    assert "object" in found, "a top-level field no spec reads"
    mapped = {"billing_details.email", "amount", "metadata", "id", "created"}
    assert not mapped & set(found), "fields a spec reads, whole or by path"
    assert not [f for f in found if f.startswith("metadata.")], "metadata is read whole"

    newest = field_drift(ctx.warehouse, ctx.catalog.spec_set, [("stripe", "charges")], sample=3)
    assert {f.field: f.records for f in newest}["shipping.phone"] == 3, "the newest versions"


def test_page_fields_finds_a_top_level_key_few_records_of_a_long_page_carry():
    records = [{"id": str(i), "amount": i, "card": {"brand": "visa"}} for i in range(200)]
    records[77]["risk"] = {"score": 3}
    roots: set[str] = set()
    found = page_fields(records, roots)
    assert ("risk", "score") in found and ("card", "brand") in found
    assert roots == {"id", "amount", "card", "risk"}
    assert set(record_fields(records)) == found
