"""Progress display and summaries for syncs, for people at a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.common.retry import set_retry_listener

if TYPE_CHECKING:
    from warehouse.store import Integration

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


class SyncProgress:
    """A live line per resource with its row count, and a status line saying what the sync waits
    for (the provider's first page, a retry and its reason); silent when not on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._label = ""
        self._status: Any = None
        self.status = ""  # what the status line says now

    def __enter__(self) -> SyncProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, integration: Integration) -> None:
        """Begin the lines of one integration's sync."""
        self._label = f"{integration.provider} {integration.venue_id}"
        where = integration.base_url or f"the {integration.provider} API"
        if not self.enabled:
            return
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[rows]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self._progress.start()
        self._tasks = {}
        self._status = self._progress.add_task("", total=None, rows="")
        self.set_status(f"{self._label}: waiting for the first page from {where}")
        set_retry_listener(self.retrying)

    def set_status(self, text: str) -> None:
        """Say on the status line what the sync is waiting for."""
        self.status = text
        if self._progress is not None and self._status is not None:
            # drawn now, not at the next tick: the next status may replace it within one
            self._progress.update(self._status, description=text, refresh=True)

    def retrying(self, attempt: int, error: Exception, wait: float) -> None:
        """A request failed and is retried after `wait` seconds: say which and why."""
        self.set_status(
            f"{self._label}: waiting {wait:.1f} s to retry (attempt {attempt + 1}): {error}"
        )

    def page(self, resource: str, rows: int) -> None:
        """A page of `resource` arrived: `rows` read so far."""
        if self._progress is None:
            return
        if resource not in self._tasks:
            self._tasks[resource] = self._progress.add_task(
                f"{self._label} {resource}", total=None, rows=""
            )
            self.set_status(f"{self._label}: reading")
        self._progress.update(self._tasks[resource], rows=f"{rows:>10,} rows")

    def stop(self) -> None:
        """End the lines of the current integration."""
        set_retry_listener(None)
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._status = None


def print_summary(result: Any) -> None:
    """A table per integration: each resource's status, rows and notes."""
    mark = "[green]ok[/]" if result.ok else "[red]FAILED[/]"
    console.print(
        f"{mark} {result.provider} integration {result.integration_id} "
        f"(tenant {result.tenant_id}, venue {result.venue_id}) run {result.run_id[:8]}"
    )
    if result.error and not result.resources:
        console.print(f"  [red]{result.error}[/]")
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for name in ("resource", "status", "read", "loaded", "deleted", "quarantined", "note"):
        table.add_column(
            name,
            justify="right" if name in ("read", "loaded", "deleted", "quarantined") else "left",
        )
    previous = None
    for o in result.resources:
        note = o.error_message or "; ".join(o.notes)
        note, previous = ("the same" if note and note == previous else note), note
        status = "[green]ok[/]" if o.status == "success" else f"[red]{o.status}[/]"
        table.add_row(
            o.resource,
            status,
            f"{o.rows_extracted:,}",
            f"{o.rows_loaded:,}",
            f"{o.rows_deleted:,}",
            f"{o.rows_quarantined:,}",
            note,
        )
    console.print(table)
    if result.seconds:
        phases = ", ".join(f"{phase} {took:.1f} s" for phase, took in result.seconds.items())
        console.print(f"  the sync took {sum(result.seconds.values()):.1f} s: {phases}")
