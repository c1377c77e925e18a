"""`intsync breakers`: the circuit breakers every worker shares: list them, reset one."""

from __future__ import annotations

import click
import orjson
from rich.table import Table

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console


@click.group("breakers")
def breakers() -> None:
    """Circuit breakers per provider and per integration."""


@breakers.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array on stdout.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Every breaker with its state and consecutive failures."""
    found = app.store.list_breakers()
    if as_json:
        click.echo(orjson.dumps([b.to_dict() for b in found]).decode())
        return
    if not found:
        console.print("no breakers have tripped or counted failures yet")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("name", "state", "failures", "opened", "updated"):
        table.add_column(name)
    for b in found:
        table.add_row(
            b.name,
            b.state,
            str(b.consecutive_failures),
            b.opened_at.strftime("%Y-%m-%d %H:%M:%S") if b.opened_at else "",
            b.updated_at.strftime("%Y-%m-%d %H:%M:%S") if b.updated_at else "",
        )
    console.print(table)


@breakers.command("reset")
@click.argument("name")
@pass_app
def reset(app: AppContext, name: str) -> None:
    """Close breaker NAME (e.g. provider:stripe, integration:int_...) once the cause is fixed.
    A name that is no breaker here exits 2, with the closest known name."""
    from connectors.registry import PROVIDERS
    from warehouse.breakers import (
        UnknownBreakerError,
        check_breaker_name,
        known_breakers,
        reset_breaker,
    )

    try:
        check_breaker_name(name, known_breakers(app.store, PROVIDERS))
    except UnknownBreakerError as exc:
        raise BadUsage(str(exc)) from None
    reset_breaker(app.store, name)
    click.echo(f"breaker {name} closed")
