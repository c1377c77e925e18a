"""Wiring shared by the commands that run syncs: settings -> store, warehouse, mappings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from intsync.cli.context import AppContext, BadUsage

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:  # pipelines import dlt: commands that run no sync start without it
    from pipelines.runs import SyncContext


def sync_context(app: AppContext, **callbacks: Any) -> SyncContext:
    """A SyncContext for the configured warehouse and the shipped (validated) mappings."""
    from mappings import SpecValidationError
    from pipelines.context import build_sync_context

    try:
        return build_sync_context(app.settings, store=app.store, **callbacks)
    except SpecValidationError as exc:
        lines = "\n".join(str(issue) for issue in exc.errors)
        raise BadUsage(f"the mapping specs are invalid; nothing was synced:\n{lines}") from exc


def select_integrations(
    app: AppContext, integration_id: str | None, venue: str | None, all_: bool
) -> list[Any]:
    """The integrations a command names: one id, a venue's, or all of them."""
    from warehouse.errors import NotFoundError

    store = app.store
    if integration_id:
        try:
            return [store.get_integration(integration_id)]
        except NotFoundError as exc:
            raise BadUsage(
                f"no integration {integration_id!r}: see `intsync integrations list`"
            ) from exc
    found = store.list_integrations(venue_id=venue) if venue else store.list_integrations()
    if not found:
        where = f"venue {venue!r}" if venue else "this store"
        raise BadUsage(f"no integrations for {where}: add one with `intsync integrations add`")
    return found


def selection_options(command: F) -> F:
    """The options of a command that syncs: which integrations (`--integration`, `--venue`,
    `--all`), which resources, and `--full-refresh`."""
    for option in reversed(
        (
            click.option("--integration", "integration_id", help="One integration by id."),
            click.option("--venue", help="Every integration of this venue."),
            click.option("--all", "all_", is_flag=True, help="Every integration (the default)."),
            click.option(
                "--resource", "resources", multiple=True, help="Only these resources (repeatable)."
            ),
            click.option(
                "--full-refresh", is_flag=True, help="Read everything again, ignoring cursors."
            ),
        )
    ):
        command = option(command)
    return command
