"""What the routes share for the life of the app: settings, store, launcher, metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from intsync.config import Settings
from web.metrics import Metrics
from web.orchestration import Launcher


@dataclass
class WebState:
    """Everything a request handler needs beyond the request."""

    settings: Settings
    store: Any  # warehouse.store.Store
    launcher: Launcher
    metrics: Metrics
    webhook_tolerances: dict[str, int] = field(default_factory=dict)
    jwt_audience: str = "intsync"
    jwt_issuer: str | None = None
    warehouse_probe: Callable[[], None] | None = None
    inbox_writer: Any = None  # warehouse.store.GroupCommit of NewInboxEvent -> bool
    extra: dict[str, Any] = field(default_factory=dict)


def state() -> WebState:
    """The WebState of the app handling the current request."""
    return current_app.extensions["intsync"]
