"""`intsync web`: the HTTP service under gunicorn (webhooks, internal routes, monitoring, API)."""

from __future__ import annotations

import logging
from typing import Any

import click

from intsync.cli.context import AppContext, BadUsage, pass_app

LEVELS = ("debug", "info", "warning", "error")


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=3009, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Per process."
)
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(5, 600))
@click.option("--log-level", default="info", show_default=True, type=click.Choice(LEVELS))
@pass_app
def web(
    app: AppContext, host: str, port: int, workers: int, threads: int, timeout: int, log_level: str
) -> None:
    """Serve provider webhooks, internal routes, monitoring and the public API with gunicorn."""
    from warehouse.errors import StoreError

    settings = app.settings
    try:  # fail here, with the reason, rather than in every worker
        app.store.engine.dispose()
    except StoreError as exc:
        raise BadUsage(str(exc)) from exc
    if not settings.service_secrets:
        logging.getLogger(__name__).warning(
            "INTSYNC_SERVICE_SECRETS is empty: every internal route will answer 401"
        )
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": timeout,
        "graceful_timeout": 10,
        "keepalive": 5,
        "loglevel": log_level,
        "accesslog": None,
        "limit_request_line": 8190,
        "control_socket_disable": True,  # several services may share a machine and home
    }
    _Server(options, logging.getLevelName(log_level.upper())).run()


def _server_class() -> Any:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def __init__(self, options: dict[str, Any], level: int) -> None:
            self.options = options
            self.level = level
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from web import create_app
            from web.requestlog import configure_logging

            configure_logging(self.level)
            return create_app()

    return Server


def _Server(options: dict[str, Any], level: int) -> Any:  # noqa: N802 - reads as a class
    return _server_class()(options, level)
