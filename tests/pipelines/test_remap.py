"""Changing a spec in a live warehouse: plan, rebuild on a type change, quarantine, refused loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mappings import SPECS_DIR
from pipelines.errors import LoadFailedError
from pipelines.plan import describe, plan
from pipelines.remap import RemapRefusedError, remap
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from pipelines.sync import sync_integration
from warehouse.columns import dataset_columns
from warehouse.destinations import Warehouse

AMOUNT = (
    "  amount: {path: amount, transform: minor_units, currency_path: currency}  # 1999 usd -> 19.99"
)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_database"))


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, folder)
    return folder


def context(store, warehouse: Warehouse, specs: Path, tmp_path: Path) -> SyncContext:
    return SyncContext(
        store=store, warehouse=warehouse, catalog=MappingCatalog(specs), dlt_dir=tmp_path / "dlt"
    )


def edit(specs: Path, old: str, new: str) -> None:
    spec = specs / "stripe" / "charges.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def column_type(warehouse: Warehouse, table: str, column: str) -> str:
    (found,) = [c.type for c in dataset_columns(warehouse, "staging")[table] if c.name == column]
    return found


def charges(ctx: SyncContext) -> list:
    return ctx.catalog.spec_set.for_table("stripe_charges")


def test_a_type_change_is_planned_refused_by_sync_and_rebuilt_by_remap(
    integration, store, warehouse, specs, tmp_path
):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    edit(specs, AMOUNT, "  amount: {path: amount, type: text}")
    ctx = context(store, warehouse, specs, tmp_path)

    (charges_plan,) = plan(ctx.catalog.spec_set, warehouse, [("staging", "stripe_charges")])
    assert [(c.column, c.warehouse, c.spec) for c in charges_plan.changes] == [
        ("amount", "decimal(18,2)", "text")
    ]
    assert any("~ amount decimal(18,2) -> text" in line for line in describe([charges_plan]))

    refused = sync_integration(integration, ctx, resources=["charges"], full_refresh=True)
    assert not refused.ok
    assert "remap --table stripe_charges" in refused.resources[0].error_message, refused.resources

    ids = warehouse.query("select id from staging.stripe_charges order by id")
    report = remap(ctx, charges(ctx), [integration])
    assert report.rebuilt == {"staging.stripe_charges": 60}
    assert column_type(warehouse, "stripe_charges", "amount") == "text"
    after = warehouse.query("select id, amount from staging.stripe_charges order by id")
    assert [(i,) for i, _ in after] == ids
    sent = dict(warehouse.query("select id, record::json->>'amount' from raw.stripe_charges"))
    assert all(amount == sent[i] for i, amount in after), "the provider's amount, as text"
    assert not plan(ctx.catalog.spec_set, warehouse, [("staging", "stripe_charges")])[0].changed
    again = sync_integration(integration, ctx, resources=["charges"], full_refresh=True)
    assert again.ok, again.error


def test_values_that_do_not_convert_are_quarantined_and_the_next_sync_is_clean(
    integration, store, warehouse, specs, tmp_path
):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    edit(specs, AMOUNT, "  amount: {path: amount, type: bigint}  #")
    ctx = context(store, warehouse, specs, tmp_path)
    assert remap(ctx, charges(ctx), [integration]).rebuilt == {"staging.stripe_charges": 60}
    some = """  amount: {expr: "if(amount > 5000, concat('x', amount), amount)", type: text}  #"""
    edit(specs, "  amount: {path: amount, type: bigint}  #", some)
    ctx = context(store, warehouse, specs, tmp_path)
    report = remap(ctx, charges(ctx), [integration])  # bigint to text: every value converts
    assert report.rebuilt == {"staging.stripe_charges": 60}
    edit(specs, some, some.replace("type: text", "type: bigint"))
    ctx = context(store, warehouse, specs, tmp_path)
    report = remap(ctx, charges(ctx), [integration])  # text to bigint: 'x12099' does not
    quarantined = report.results[0].quarantined
    assert 0 < quarantined < 60
    assert report.rebuilt == {"staging.stripe_charges": 60 - quarantined}
    assert column_type(warehouse, "stripe_charges", "amount") == "bigint"
    reasons = warehouse.query(
        "select field, reason from ops.quarantine"
        " where table_name = 'stripe_charges' and resolved_at is null"
    )
    assert len(reasons) == quarantined
    assert all(f == "amount" and "is not a whole number" in r for f, r in reasons)
    assert sync_integration(integration, ctx, resources=["charges"]).ok


def test_a_rebuild_that_would_quarantine_every_record_leaves_the_table(
    integration, store, warehouse, specs, tmp_path
):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    before = warehouse.query("select * from staging.stripe_charges order by id")
    edit(specs, AMOUNT, """  amount: {expr: "concat('x', amount)", type: bigint}""")
    ctx = context(store, warehouse, specs, tmp_path)
    report = remap(ctx, charges(ctx), [integration])
    assert report.results[0].quarantined == 60 and report.rebuilt == {}
    assert "every record (60) was quarantined" in report.not_rebuilt["staging.stripe_charges"]
    assert warehouse.query("select * from staging.stripe_charges order by id") == before
    assert column_type(warehouse, "stripe_charges", "amount") == "decimal(18,2)"
    open_rows = warehouse.query("select count(*) from ops.quarantine where resolved_at is null")
    assert open_rows == [(60,)]


def test_a_dry_run_counts_and_writes_nothing(integration, store, warehouse, specs, tmp_path):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    edit(specs, AMOUNT, "  amount: {path: amount, type: text}")
    ctx = context(store, warehouse, specs, tmp_path)
    before = warehouse.query("select * from staging.stripe_charges order by id")
    report = remap(ctx, charges(ctx), [integration], dry_run=True)
    assert report.rows_by_table["staging.stripe_charges"] == 60
    assert report.rebuilt == {}
    assert [p.name for p in report.plans if p.needs_rebuild] == ["staging.stripe_charges"]
    assert warehouse.query("select * from staging.stripe_charges order by id") == before
    assert column_type(warehouse, "stripe_charges", "amount") == "decimal(18,2)"


def test_an_unmapped_column_is_kept_with_its_values_until_dropped(
    integration, store, warehouse, specs, tmp_path
):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    billing = warehouse.query("select id, billing_name from staging.stripe_charges order by id")
    assert any(name for _, name in billing)
    edit(specs, "  billing_name: billing_details.name\n", "")
    edit(specs, AMOUNT, "  amount: {path: amount, type: text}")
    ctx = context(store, warehouse, specs, tmp_path)
    (charges_plan,) = plan(ctx.catalog.spec_set, warehouse, [("staging", "stripe_charges")])
    assert ("billing_name", "text") in charges_plan.unmapped

    remap(ctx, charges(ctx), [integration])  # rebuilt for the type change: the column is kept
    kept = warehouse.query("select id, billing_name from staging.stripe_charges order by id")
    assert kept == billing

    report = remap(ctx, charges(ctx), [integration], drop_unmapped=True)
    assert report.dropped == {"staging.stripe_charges": ["billing_name"]}
    names = [c.name for c in dataset_columns(warehouse, "staging")["stripe_charges"]]
    assert "billing_name" not in names
    assert sync_integration(integration, ctx, resources=["charges"], full_refresh=True).ok
    names = [c.name for c in dataset_columns(warehouse, "staging")["stripe_charges"]]
    assert "billing_name" not in names, "a later load does not bring a dropped column back"


def test_a_rebuild_for_one_venue_is_refused(integration, store, warehouse, specs, tmp_path):
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    edit(specs, AMOUNT, "  amount: {path: amount, type: text}")
    ctx = context(store, warehouse, specs, tmp_path)
    with pytest.raises(RemapRefusedError, match="without --venue or --integration"):
        remap(ctx, charges(ctx), [integration], scoped=True)


def test_a_load_the_warehouse_refuses_leaves_nothing_pending(
    integration, store, warehouse, specs, tmp_path
):
    """The journey that wedged an integration: a load refused for good (here a text column
    into a decimal one, the type check bypassed) is abandoned with a one-line reason; the
    cursor stays, and the next sync and remap run with no manual step."""
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    edit(specs, AMOUNT, """  amount: {expr: "concat('x', amount)", type: text}""")
    ctx = context(store, warehouse, specs, tmp_path)
    report_plans = plan(ctx.catalog.spec_set, warehouse, [("staging", "stripe_charges")])
    assert report_plans[0].needs_rebuild
    refused = None
    try:
        from pipelines.loaders import LOAD_ORDER, Loaders
        from pipelines.remap import _replay
        from pipelines.spool import Spool

        spool = Spool.temporary(tmp_path / "spool", "bypass-")
        _replay(ctx, integration, ["charges"], spool, "bypass")
        loaders = Loaders(warehouse, ctx.dlt_dir)
        with loaders.writing(LOAD_ORDER):
            loaders.load([spool], LOAD_ORDER)
    except LoadFailedError as exc:
        refused = exc
    assert refused is not None
    assert "\n" not in str(refused)

    edit(specs, """  amount: {expr: "concat('x', amount)", type: text}""", AMOUNT)
    ctx = context(store, warehouse, specs, tmp_path)
    result = sync_integration(integration, ctx, resources=["charges"])
    assert result.ok, result.error
    assert not Loaders(warehouse, ctx.dlt_dir).pipeline("staging").has_pending_data
    assert remap(ctx, charges(ctx), [integration]).results[0].rows == 60


def test_a_removed_not_null_column_does_not_block_the_next_sync(
    integration, store, warehouse, specs, tmp_path
):
    edit(
        specs,
        "  paid: {path: paid, type: boolean}",
        "  paid: {path: paid, type: boolean}\n  currency_code: {path: currency, nullable: false}",
    )
    ctx = context(store, warehouse, specs, tmp_path)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    held = {c.name: c for c in dataset_columns(warehouse, "staging")["stripe_charges"]}
    assert not held["currency_code"].nullable
    edit(specs, "\n  currency_code: {path: currency, nullable: false}", "")
    ctx = context(store, warehouse, specs, tmp_path)
    result = sync_integration(integration, ctx, resources=["charges"], full_refresh=True)
    assert result.ok, result.error
    held = {c.name: c for c in dataset_columns(warehouse, "staging")["stripe_charges"]}
    assert held["currency_code"].nullable
