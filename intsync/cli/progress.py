"""Progress display and summaries for syncs, for people at a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


class SyncProgress:
    """A live line per resource with its row count; silent when not on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._label = ""

    def __enter__(self) -> SyncProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, integration: Any) -> None:
        self._label = f"{integration.provider} {integration.venue_id}"
        if not self.enabled:
            return
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:>10,} rows"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self._progress.start()
        self._tasks = {}

    def page(self, resource: str, rows: int) -> None:
        if self._progress is None:
            return
        if resource not in self._tasks:
            self._tasks[resource] = self._progress.add_task(f"{self._label} {resource}", total=None)
        self._progress.update(self._tasks[resource], completed=rows)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


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
    for o in result.resources:
        note = o.error_message or "; ".join(o.notes)
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
