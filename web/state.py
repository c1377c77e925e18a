"""What the routes share for the life of the app: settings, store, launcher, metrics, the
webhook inbox's writer and the apply-run requester."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from intsync.config import Settings
from warehouse.store import Store
from warehouse.store.group_commit import GroupCommit
from warehouse.store.inbox import NewInboxEvent
from web.metrics import Metrics
from web.orchestration import ApplyRequester, Launcher


@dataclass
class WebState:
    """Everything a request handler needs beyond the request."""

    settings: Settings
    store: Store
    launcher: Launcher
    metrics: Metrics
    # webhook deliveries stored in group commits: one fresh-or-repeat answer per event
    inbox_writer: GroupCommit[NewInboxEvent, bool]
    # asks for an apply run after a delivery, at most every few seconds per integration
    apply_requester: ApplyRequester
    webhook_tolerances: dict[str, int] = field(default_factory=dict)
    jwt_audience: str = "intsync"
    jwt_issuer: str | None = None
    warehouse_probe: Callable[[], None] | None = None


def state() -> WebState:
    """The WebState of the app handling the current request."""
    return current_app.extensions["intsync"]
