from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from mappings import SPECS_DIR
from pipelines.remap import remap
from pipelines.sync import sync_integration
from tests.pipelines.conftest import KEY, make_context


def test_a_sync_lands_raw_staging_core_and_logs_together(integration, ctx, stripe_sandbox):
    result = sync_integration(integration, ctx, resources=["charges", "customers"])
    assert result.ok, result.error
    wh = ctx.warehouse
    charges = wh.query("select count(*) from staging.stripe_charges where venue_id = 'v1'")[0][0]
    assert charges == 60
    assert wh.query("select count(*) from raw.stripe_charges")[0][0] == 60
    assert wh.query("select count(*) from core.payments where provider = 'stripe'")[0][0] == 60
    assert wh.query("select count(*) from core.customers")[0][0] == 12
    logs = ctx.store.list_sync_logs(integration_id=integration.id)
    assert {(e.resource, e.status, e.rows_loaded) for e in logs} == {
        ("charges", "success", 60),
        ("customers", "success", 12),
    }
    assert all(e.cursor_after for e in logs)
    mirrored = wh.query("select resource, status from ops.sync_logs order by resource")
    assert mirrored == [("charges", "success"), ("customers", "success")]
    assert list(result.seconds) == ["prepare", "read", "load", "logs"], "each phase, in order"
    assert all(took >= 0 for took in result.seconds.values())
    assert result.to_dict()["seconds"] == result.seconds


def test_a_second_sync_reads_only_changes_and_marks_deletes(integration, ctx, stripe_sandbox):
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    doomed = stripe_sandbox.objects("customers", {"account": KEY})
    doomed_id = orjson.loads(doomed)[0]["id"]
    stripe_sandbox.delete(KEY, "customers", doomed_id)
    result = sync_integration(integration, ctx, resources=["customers"])
    (outcome,) = result.resources
    assert (outcome.rows_extracted, outcome.rows_deleted) == (1, 1)
    rows = ctx.warehouse.query(
        "select id, _deleted_at is not null from staging.stripe_customers order by 2 desc, 1"
    )
    assert len(rows) == 12 and rows[0] == (doomed_id, True) and not any(r[1] for r in rows[1:])


def test_remap_rebuilds_from_raw_without_calling_the_provider(
    integration, store, tmp_path: Path, stripe_sandbox
):
    first = make_context(store, tmp_path)
    assert sync_integration(integration, first, resources=["charges"]).ok
    changed = orjson.loads(stripe_sandbox.objects("charges", {"account": KEY}))[0]["id"]
    stripe_sandbox.update(KEY, "charges", changed, {"description": "second version"})
    assert sync_integration(integration, first, resources=["charges"]).ok
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    spec = specs / "stripe" / "charges.yaml"
    spec.write_text(spec.read_text() + "  amount_minor: {path: amount, type: bigint}\n")
    ctx = make_context(store, tmp_path, specs)
    before = stripe_sandbox.stats.snapshot()["total"]
    specs_read = ctx.catalog.spec_set.for_resource("stripe", "charges")
    (result,) = remap(ctx, specs_read, [integration], run_id="remap-1").results
    assert result.rows == 60
    assert stripe_sandbox.stats.snapshot()["total"] == before, "no provider call"
    nulls, total = ctx.warehouse.query(
        "select count(*) filter (where amount_minor is null), count(*) from staging.stripe_charges"
    )[0]
    assert (nulls, total) == (0, 60)
    description = ctx.warehouse.query(
        f"select description from staging.stripe_charges where id = '{changed}'"
    )
    assert description == [("second version",)], "remap maps the newest raw version"


def test_a_value_that_cannot_be_coerced_is_quarantined_and_the_rest_load(
    integration, store, tmp_path: Path
):
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    spec = specs / "stripe" / "charges.yaml"
    spec.write_text(
        spec.read_text()
        + """  amount_checked: {expr: "if(amount > 5000, 'too big', amount)", type: bigint}\n"""
    )
    ctx = make_context(store, tmp_path, specs)
    result = sync_integration(integration, ctx, resources=["charges"])
    assert result.ok
    (outcome,) = result.resources
    assert outcome.rows_quarantined > 0 and outcome.rows_loaded > 0
    assert outcome.rows_loaded + outcome.rows_quarantined == 60
    reasons = ctx.warehouse.query(
        "select field, reason, record_id from ops.quarantine where table_name = 'stripe_charges'"
    )
    assert len(reasons) == outcome.rows_quarantined
    assert all(field == "amount_checked" and reason for field, reason, _ in reasons)


def test_cursors_that_cannot_be_read_fail_each_resource_with_why_before_it_reads(
    integration, ctx, stripe_sandbox, monkeypatch
):
    from pipelines.errors import LoadFailedError
    from pipelines.loaders import Loaders

    def cannot_read(self, integration_ids):
        raise LoadFailedError("could not read sync state from the warehouse: disk full")

    monkeypatch.setattr(Loaders, "read_cursors", cannot_read)
    result = sync_integration(integration, ctx, resources=["charges", "customers"])

    assert result.status == "failed" and "disk full" in (result.error or "")
    assert [(o.resource, o.status) for o in result.resources] == [
        ("charges", "failed"),
        ("customers", "failed"),
    ]
    logs = ctx.store.list_sync_logs(integration_id=integration.id)
    assert {(e.resource, e.status, e.error_class) for e in logs} == {
        ("charges", "failed", "LoadFailedError"),
        ("customers", "failed", "LoadFailedError"),
    }
    assert all("disk full" in e.error_message for e in logs)
    monkeypatch.undo()
    assert sync_integration(integration, ctx, resources=["charges", "customers"]).ok
