from intsync.cli.main import cli

cli()
