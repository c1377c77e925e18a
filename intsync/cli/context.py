"""What every command shares: settings and the operational store, opened on first use."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

import click

from intsync.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from warehouse.store import Store


class BadUsage(click.UsageError):
    """Bad input from the user: printed on stderr, exit code 2."""


class AppContext:
    """Lazily opened resources for one CLI invocation."""

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings()
        except ConfigError as exc:
            raise BadUsage(str(exc)) from exc

    @cached_property
    def store(self) -> Store:
        from warehouse.store import open_store

        return open_store(self.settings.database_url, self.settings.secret_key())


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
