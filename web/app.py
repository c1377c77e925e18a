"""The Flask application: `create_app(config)` wires settings, store, launcher and blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify

from intsync.config import Settings, load_settings
from warehouse.store.group_commit import GroupCommit
from web import bodylimit, errors, page_session, requestlog
from web.metrics import Metrics
from web.orchestration import ApplyRequester, PrefectLauncher
from web.state import WebState
from web.webhook_providers import DEFAULT_TOLERANCES

if TYPE_CHECKING:
    from warehouse.store import Store

MAX_BODY_BYTES = 1024 * 1024  # the largest provider deliveries are well under this


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The intsync web app. Config keys (all optional):

    - `settings`: intsync Settings (default: read from the environment)
    - `store`: an open operational Store (default: opened from the settings)
    - `launcher`: callable(deployment, parameters, queue) -> run id (default: Prefect's API)
    - `MAX_CONTENT_LENGTH`: request body limit in bytes (default 1 MiB)
    - `webhook_tolerances`: {provider: seconds} for signed timestamps (Stripe 300 by default)
    - `jwt_audience`, `jwt_issuer`: required `aud` and `iss` of bearer tokens
      (default INTSYNC_JWT_AUDIENCE or "intsync", INTSYNC_JWT_ISSUER or "auth-service")
    - `apply_debounce_s`: seconds between apply-run requests per integration (default 5)
    - `secure_cookies`: the status page's session cookie only over HTTPS (default
      INTSYNC_SECURE_COOKIES=1)
    """
    config = dict(config or {})
    settings: Settings = config.get("settings") or load_settings()
    store = config.get("store") or _open_store(settings)
    launcher = config.get("launcher") or PrefectLauncher(settings.prefect_api_url)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(config.get("MAX_CONTENT_LENGTH", MAX_BODY_BYTES))
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["intsync"] = WebState(
        settings=settings,
        store=store,
        launcher=launcher,
        metrics=Metrics(store),
        webhook_tolerances={**DEFAULT_TOLERANCES, **config.get("webhook_tolerances", {})},
        jwt_audience=config.get("jwt_audience")
        or os.environ.get("INTSYNC_JWT_AUDIENCE")
        or "intsync",
        jwt_issuer=config.get("jwt_issuer")
        or os.environ.get("INTSYNC_JWT_ISSUER")
        or "auth-service",
        warehouse_probe=config.get("warehouse_probe"),
        inbox_writer=GroupCommit(store.add_inbox_events),
        apply_requester=ApplyRequester(launcher, float(config.get("apply_debounce_s", 5.0))),
    )
    secure = config.get("secure_cookies", os.environ.get("INTSYNC_SECURE_COOKIES") == "1")
    page_session.init_app(app, settings.secret_key(), bool(secure))
    errors.register(app)
    requestlog.init_app(app)
    bodylimit.init_app(app)
    _register_blueprints(app)

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok"})

    return app


def _register_blueprints(app: Flask) -> None:
    from web import internal, monitoring, oauth, openapi, pages, public, webhooks

    for module in (webhooks, internal, monitoring, public, oauth, openapi, pages):
        app.register_blueprint(module.bp)
    app.register_blueprint(openapi.reference_page())


def _open_store(settings: Settings) -> Store:
    from warehouse.store import open_store

    return open_store(settings.database_url, settings.secret_key())
