"""`intsync mappings`: validate spec files, preview what a spec makes of some records."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import click

from connectors.registry import CATALOGUE
from intsync.cli.context import AppContext, BadUsage, pass_app
from mappings import MappingError, SpecValidationError
from mappings.catalogue import Catalogue
from mappings.report import page_as_dict, preview, read_records, validate_paths


@click.group("mappings")
def mappings() -> None:
    """Check and try out the YAML mapping specs."""


def _known_fields() -> Catalogue:
    """The connectors' catalogue: providers, the resources they read, and those fields."""
    return CATALOGUE


@mappings.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print {valid, specs, issues, summary} as JSON."
)
@pass_app
def validate(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate specs (files or folders; default: the specs syncs use, the shipped ones with
    the INTSYNC_SPECS folder over them, and the venue overrides).

    Prints one `path:line:column: message` line per problem and exits 1, or one line per table
    (its file, `team` or `shipped`, and version), a summary, and exits 0.
    """
    team_dir = None if paths else app.settings.specs_dir
    report = validate_paths(list(paths), _known_fields(), team_dir)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    elif report.issues:
        for issue in report.issues:
            click.echo(str(issue))
        count = len(report.issues)
        click.echo(f"{count} error{'s' if count != 1 else ''}", err=True)
    else:
        click.echo("\n".join([*report.listing(), report.summary()]))
    if report.issues:
        raise SystemExit(1)


@mappings.command("preview")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Records as JSON: a list, a provider page, or one object per line.",
)
@click.option("--venue", help="Map as this venue would, with its override applied.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print rows, child rows and quarantine as JSON."
)
@pass_app
def preview_command(
    app: AppContext, spec: Path, input_path: Path, venue: str | None, as_json: bool
) -> None:
    """Map the records in --input with SPEC and print the rows it makes."""
    try:
        records = read_records(input_path)
        settings = app.settings
        compiled, page = preview(
            spec, records, venue, settings.hash_salt, _known_fields(), settings.specs_dir
        )
    except SpecValidationError as exc:
        for issue in exc.errors:
            click.echo(str(issue))
        raise SystemExit(1) from exc
    except MappingError as exc:
        raise BadUsage(str(exc)) from exc
    result = page_as_dict(compiled, page)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    _print_tables(result)


def _print_tables(result: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    console.print(_table(result["table"], result["rows"]))
    for name, rows in result["children"].items():
        console.print(_table(name, rows) if rows else f"{name}: no rows")
    if result["filtered"]:
        console.print(f"{result['filtered']} record(s) left out by where:")
    for row in result["quarantined"]:
        console.print(
            f"[red]quarantined[/red] {row['record_id']}: {row['field']} = "
            f"{row['value']!r}: {row['reason']}",
            markup=True,
            highlight=False,
        )


def _table(title: str, rows: list[dict[str, Any]]) -> Any:
    """Rows as a table; wide tables are turned on their side (one line per column, one column
    per record) so that they stay readable in a terminal."""
    from rich.table import Table

    table = Table(title=f"{title} ({len(rows)} row{'s' if len(rows) != 1 else ''})")
    names = list(rows[0]) if rows else []
    if len(names) <= 6:
        for name in names:
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*("" if row[n] is None else str(row[n]) for n in names))
        return table
    table.add_column("column", style="bold")
    for index, row in enumerate(rows):
        table.add_column(str(row.get("id", index + 1)), overflow="fold")
    for name in names:
        shown = ["" if row[name] is None else str(row[name]) for row in rows]
        table.add_row(name, *shown)
    return table


mappings.add_command(importlib.import_module("intsync.cli.mappings_plan").plan_command)


mappings.add_command(importlib.import_module("intsync.cli.mappings_drift").drift)
mappings.add_command(importlib.import_module("intsync.cli.mappings_init").init_command)
