"""`intsync demo`: the main job end to end on embedded defaults, against the local Stripe sandbox.

Two venues of two tenants connect their (sandbox) Stripe accounts; intsync syncs them, the
accounts change, intsync syncs again incrementally, and an analyst query reads the result.
"""

from __future__ import annotations

import time
from typing import Any

import click
from rich.table import Table

from intsync.cli.context import AppContext, pass_app
from intsync.cli.progress import console, print_summary

VENUES = (
    # tenant, venue, sandbox API key, seed
    ("tenant-northwind", "venue-harbour-hall", "sk_test_demo_harbour_hall", 11),
    ("tenant-bluebird", "venue-lakeside-arena", "sk_test_demo_lakeside_arena", 22),
)
DEMO_NAME = "demo"
ANALYST_QUERY = """select venue_id, currency, count(*) as payments, sum(amount) as revenue
from core.payments
where _deleted_at is null and status = 'completed'
group by venue_id, currency
order by venue_id, revenue desc"""


@click.command("demo")
@pass_app
def demo(app: AppContext) -> None:
    """Sync two venues from the local Stripe sandbox, change them, sync again, query."""
    from connectors.sandbox.seeding import SeedSpec
    from connectors.sandbox.server import SandboxServer
    from connectors.stripe.sandbox.app import StripeSandbox
    from intsync.cli.composition import sync_context
    from pipelines.sync import sync_integration

    started = time.monotonic()
    sandbox = StripeSandbox({key: SeedSpec(seed=seed) for _, _, key, seed in VENUES})
    with SandboxServer(sandbox) as server:
        console.print(f"[bold]1.[/] Local Stripe sandbox at {server.url} with two venues' accounts")
        integrations = _connect(app, server.url)
        ctx = sync_context(app)
        console.print("[bold]2.[/] First sync: everything each account has")
        for integration in integrations:
            print_summary(sync_integration(integration, ctx))
        console.print(
            "[bold]3.[/] The accounts change: new charges (one of 1.999 KWD, which the shipped"
            " specs' two decimal places cannot hold: it is quarantined), a refund, edits, a deletion"
        )
        _change(sandbox)
        console.print("[bold]4.[/] Second sync: only what changed")
        ok = True
        for integration in integrations:
            result = sync_integration(integration, ctx)
            ok = ok and result.ok
            print_summary(result)
    console.print("[bold]5.[/] An analyst's question: succeeded payments per venue")
    console.print(f"[dim]{ANALYST_QUERY}[/]")
    _show(ctx.warehouse.columns(ANALYST_QUERY))
    console.print(
        f"Done in {time.monotonic() - started:.1f} s. Warehouse: {app.settings.warehouse_url}\n"
        "Next: `intsync logs`, `intsync mappings validate`, docs/analysts.md"
    )
    if not ok:
        raise SystemExit(1)


def _connect(app: AppContext, url: str) -> list[Any]:
    """Replace earlier demo integrations with ones pointing at this run's sandbox."""
    store = app.store
    for integration in store.list_integrations():
        if integration.name == DEMO_NAME:
            store.remove_integration(integration.id)
    added = []
    for tenant, venue, key, _ in VENUES:
        added.append(
            store.add_integration(
                tenant_id=tenant,
                venue_id=venue,
                provider="stripe",
                credentials={"api_key": key, "requests_per_second": "200"},
                base_url=url,
                name=DEMO_NAME,
            )
        )
        console.print(f"   {tenant} / {venue}: integration {added[-1].id}")
    return added


def _change(sandbox: Any) -> None:
    for _, _, key, _ in VENUES:
        customers = [c["id"] for c in _objects(sandbox, key, "customers")]
        charges = [c for c in _objects(sandbox, key, "charges") if c["status"] == "succeeded"]
        for index in range(5):
            sandbox.create(
                key,
                "charges",
                {"amount": 2500 + index * 100, "currency": "usd", "customer": customers[index]},
            )
        if key == VENUES[0][2]:  # three decimal places the specs' decimal(18,2) cannot hold
            sandbox.create(key, "charges", {"amount": 1999, "currency": "kwd"})
        unrefunded = next(c for c in charges if not c.get("amount_refunded"))
        sandbox.create(key, "refunds", {"charge": unrefunded["id"], "amount": 500})
        for customer in customers[:3]:
            sandbox.update(key, "customers", customer, {"email": f"{customer.lower()}@example.org"})
        sandbox.delete(key, "customers", customers[-1])
        sandbox.touch(key, "charges", count=10, seed=7)


def _objects(sandbox: Any, key: str, resource: str) -> list[dict[str, Any]]:
    import orjson

    return orjson.loads(sandbox.objects(resource, {"account": key}))


def _show(result: tuple[list[str], list[tuple[Any, ...]]]) -> None:
    names, rows = result
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)
