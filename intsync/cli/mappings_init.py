"""`intsync mappings init DIR`: start a team's own folder of specs from the shipped ones."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from intsync.cli.context import BadUsage


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files the folder already has.")
def init_command(folder: Path, force: bool) -> None:
    """Write the shipped specs (and venue overrides) into FOLDER, to become INTSYNC_SPECS.

    Prints each file written and the `export INTSYNC_SPECS=...` line that makes every command,
    the web service and the Prefect workers use the folder. A spec of a table in the folder
    replaces the shipped spec of that table; see docs/mappings.md, "A team's own specs".
    """
    from mappings.teamfolder import ExistingFilesError, init_team_folder

    folder = folder.expanduser().resolve()
    try:
        written = init_team_folder(folder, force=force)
    except ExistingFilesError as exc:
        raise BadUsage(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path.relative_to(folder)}")
    click.echo(f"{len(written)} files in {folder}; to use them:")
    click.echo(f"export INTSYNC_SPECS={shlex.quote(str(folder))}")
