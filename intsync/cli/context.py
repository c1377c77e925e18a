"""What every command shares: settings and the operational store, opened on first use."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
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


def home_problem(exc: BaseException, env: Mapping[str, str] | None = None) -> str | None:
    """One line saying INTSYNC_HOME cannot be written, when that is what `exc` (or its cause)
    is about; None for any other error."""
    env = os.environ if env is None else env
    home = Path(env.get("INTSYNC_HOME") or "./.intsync").expanduser().resolve()
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        filename = getattr(seen, "filename", None)
        if isinstance(seen, OSError) and filename and _within(Path(str(filename)), home):
            reason = seen.strerror or type(seen).__name__
            return (
                f"INTSYNC_HOME={home} cannot be used: {reason}: {filename}. Set INTSYNC_HOME to "
                "a folder this user can create and write (or fix its permissions)"
            )
        if "unable to open database file" in str(seen) and str(home) in _store_url(env, home):
            return (
                f"INTSYNC_HOME={home} cannot be used: the operational store "
                f"{_store_url(env, home)} cannot be opened there. Set INTSYNC_HOME to a folder "
                "this user can write (or fix its permissions)"
            )
        seen = seen.__cause__ or seen.__context__
    return None


def _within(path: Path, home: Path) -> bool:
    resolved = path.expanduser().resolve()
    return resolved == home or home in resolved.parents


def _store_url(env: Mapping[str, str], home: Path) -> str:
    return env.get("INTSYNC_DATABASE_URL") or f"sqlite:///{home / 'intsync.db'}"


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
