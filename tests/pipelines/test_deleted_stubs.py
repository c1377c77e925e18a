"""A provider that reports a deletion with the id alone (QuickBooks CDC): the row keeps its last
known values, and its child rows are marked deleted with it."""

from __future__ import annotations

from pathlib import Path

from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.sandbox import SandboxServer, SeedSpec
from pipelines.sync import sync_integration
from tests.pipelines.conftest import make_context

REALM = "9130350000000777"


def test_a_hard_deleted_invoice_keeps_its_values_and_its_lines_are_marked(store, tmp_path: Path):
    sandbox = QuickBooksSandbox({REALM: SeedSpec(seed=7, counts={"customers": 5, "invoices": 12})})
    with SandboxServer(sandbox) as server:
        integration = store.add_integration(
            tenant_id="t1",
            venue_id="v1",
            provider="quickbooks",
            credentials=sandbox.credentials(REALM),
            base_url=server.url,
        )
        ctx = make_context(store, tmp_path)
        assert sync_integration(integration, ctx, resources=["invoices"]).ok
        wh = ctx.warehouse
        doomed, doc_number = wh.query(
            "select id, doc_number from staging.quickbooks_invoices order by id limit 1"
        )[0]
        lines = wh.query(
            f"select count(*) from staging.quickbooks_invoice_lines where parent_id = '{doomed}'"
        )[0][0]
        assert lines > 0
        sandbox.company(REALM).delete("Invoice", doomed)
        result = sync_integration(integration, ctx, resources=["invoices"])
        assert result.ok, result.error
    row = wh.query(
        "select doc_number, _deleted_at is not null from staging.quickbooks_invoices "
        f"where id = '{doomed}'"
    )
    assert row == [(doc_number, True)], "the deleted invoice keeps its last known values"
    marked = wh.query(
        "select count(*), count(_deleted_at) from staging.quickbooks_invoice_lines "
        f"where parent_id = '{doomed}'"
    )
    assert marked == [(lines, lines)], "its lines are marked deleted with it"
