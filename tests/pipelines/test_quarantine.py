"""Quarantine as a worklist: there from the first sync, closed when a record maps, and a
resource whose every record is quarantined fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mappings import SPECS_DIR
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from pipelines.sync import sync_integration
from warehouse.destinations import Warehouse
from warehouse.quarantine import QUARANTINE_SCHEMA, open_quarantine, open_records

OPEN = "select table_name, record_id, field, reason from ops.quarantine where resolved_at is null"


@pytest.fixture
def warehouse(empty_warehouse: Warehouse) -> Warehouse:
    return empty_warehouse


def _context(store, warehouse: Warehouse, tmp_path: Path, specs: Path | None = None):
    return SyncContext(
        store=store, warehouse=warehouse, catalog=MappingCatalog(specs), dlt_dir=tmp_path / "dlt"
    )


def _specs_with(tmp_path: Path, extra_field: str | None) -> Path:
    """The shipped specs, with one more field in stripe charges (none: as shipped)."""
    specs = tmp_path / f"specs-{abs(hash(extra_field))}"
    shutil.copytree(SPECS_DIR, specs)
    if extra_field:
        spec = specs / "stripe" / "charges.yaml"
        spec.write_text(spec.read_text() + f"  {extra_field}\n")
    return specs


def test_a_fresh_warehouse_has_an_empty_quarantine_after_its_first_sync(
    integration, store, warehouse, tmp_path
):
    result = sync_integration(
        integration, _context(store, warehouse, tmp_path), resources=["customers"]
    )
    assert result.ok, result.error
    assert warehouse.query(OPEN) == []
    assert open_quarantine(warehouse) == [] and open_records(warehouse) == []


def test_records_that_map_after_a_fix_leave_the_open_quarantine(
    integration, store, warehouse, tmp_path
):
    broken = _specs_with(tmp_path, "customer_number: {path: customer, type: bigint}")
    first = sync_integration(
        integration, _context(store, warehouse, tmp_path, broken), resources=["charges"]
    )
    (outcome,) = first.resources
    assert first.ok and 0 < outcome.rows_quarantined < 60
    assert f"{outcome.rows_quarantined} of 60 records quarantined" in "; ".join(outcome.notes)
    opened = warehouse.query(OPEN)
    assert len(opened) == outcome.rows_quarantined
    (group,) = open_quarantine(warehouse, venue_id="v1", table="stripe_charges")
    assert (group.table_name, group.field, group.records) == (
        "stripe_charges",
        "customer_number",
        outcome.rows_quarantined,
    )

    fixed = _specs_with(tmp_path, None)
    again = sync_integration(
        integration,
        _context(store, warehouse, tmp_path, fixed),
        resources=["charges"],
        full_refresh=True,
    )
    assert again.ok and again.resources[0].rows_quarantined == 0
    assert warehouse.query(OPEN) == []
    resolved = warehouse.query(
        "select count(*) from ops.quarantine where resolved_at is not null"
        " and table_name = 'stripe_charges'"
    )
    assert resolved == [(outcome.rows_quarantined,)], "kept, marked resolved"


def test_a_resource_whose_every_record_is_quarantined_fails_and_keeps_its_cursor(
    integration, store, warehouse, tmp_path
):
    broken = _specs_with(tmp_path, "currency_number: {path: currency, transform: to_int}")
    result = sync_integration(
        integration, _context(store, warehouse, tmp_path, broken), resources=["charges"]
    )
    assert result.status == "failed"
    (outcome,) = result.resources
    assert (outcome.status, outcome.error_class) == ("failed", "AllQuarantinedError")
    assert "all 60 records of stripe charges were quarantined" in (result.error or "")
    assert "intsync quarantine --table stripe_charges" in (result.error or "")
    (log,) = store.list_sync_logs(integration_id=integration.id)
    assert (log.status, log.rows_quarantined, log.cursor_after) == ("failed", 60, None)
    assert len(warehouse.query(OPEN)) == 60, "the reasons are there to read"

    fixed = _specs_with(tmp_path, None)
    again = sync_integration(
        integration, _context(store, warehouse, tmp_path, fixed), resources=["charges"]
    )
    assert again.ok and again.resources[0].rows_loaded == 60, "the cursor had not moved"
    assert warehouse.query(OPEN) == []


def test_a_quarantine_table_from_before_resolution_gains_resolved_at(
    integration, store, warehouse, tmp_path
):
    with warehouse.connect() as con:
        cur = con.cursor()
        cur.execute("create schema ops")
        before = [f.name for f in QUARANTINE_SCHEMA if f.name != "resolved_at"]
        cur.execute(f"create table ops.quarantine ({', '.join(c + ' varchar' for c in before)})")
        cur.execute(
            "insert into ops.quarantine (venue_id, integration_id, table_name, record_id)"
            f" values ('v1', '{integration.id}', 'stripe_charges', 'ch_1')"
        )
        con.commit()
    ctx = _context(store, warehouse, tmp_path)
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    assert warehouse.query("select record_id, resolved_at from ops.quarantine") == [("ch_1", None)]
