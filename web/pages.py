"""The status page at /status: server-rendered, for the admins of a tenant. Venues, then a
venue's integrations with their breakers, then an integration's sync history with filters;
dead letters and quarantine counted on each. Signing in: see web/page_session.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from warehouse.breakers import reset_breaker
from warehouse.destinations import Warehouse
from warehouse.store.sync_log_queries import SYNC_LOG_STATUSES, LogFilter, find_sync_logs
from warehouse.venue_status import StatusReport, collect_status
from web import page_session
from web.errors import ApiError
from web.page_session import check_csrf, csrf_token, operator, signed_in
from web.state import state

bp = Blueprint("pages", __name__, url_prefix="/status", template_folder="templates")
HISTORY_PAGE = 50


@bp.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "operator": operator, "CSRF_FIELD": page_session.CSRF_FIELD}


@bp.get("/sign-in")
def sign_in_form() -> str:
    return render_template("sign_in.html", next=_safe_next(request.args.get("next")))


@bp.post("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    check_csrf()
    try:
        page_session.sign_in(request.form.get("token", ""))
    except ApiError as exc:
        error = f"Not signed in: {exc.message}"
        return render_template("sign_in.html", error=error, next=request.form.get("next")), 401
    return redirect(_safe_next(request.form.get("next")) or url_for("pages.venues"))


@bp.post("/sign-out")
def sign_out() -> Response:
    check_csrf()
    page_session.sign_out()
    return redirect(url_for("pages.sign_in_form"))


@bp.get("/")
@signed_in
def venues() -> str:
    return render_template("venues.html", report=_report(None))


@bp.get("/venues/<venue_id>")
@signed_in
def venue(venue_id: str) -> str:
    report = _report(venue_id)
    if not report.venues:
        abort(404, f"no venue {venue_id!r} among your tenant's integrations")
    return render_template("venue.html", report=report, venue=report.venues[0])


@bp.get("/integrations/<integration_id>")
@signed_in
def history(integration_id: str) -> str:
    integration = _own_integration(integration_id)
    where, chosen = _history_filter(integration_id)
    logs = find_sync_logs(state().store, where, HISTORY_PAGE + 1)
    resources = sorted(state().store.last_sync_starts(integration_id))
    return render_template(
        "history.html",
        integration=integration,
        logs=logs[:HISTORY_PAGE],
        older=logs[HISTORY_PAGE - 1].id if len(logs) > HISTORY_PAGE else None,
        chosen=chosen,
        statuses=SYNC_LOG_STATUSES,
        resources=resources,
    )


@bp.post("/breakers/<name>/reset")
@signed_in
def reset(name: str) -> Response:
    """Close one of the tenant's integration breakers (provider breakers are shared by every
    tenant: operators reset them with `intsync breakers reset`)."""
    check_csrf()
    kind, _, integration_id = name.partition(":")
    if kind != "integration":
        abort(403, "provider breakers are shared by every tenant: reset them with the CLI")
    integration = _own_integration(integration_id)
    if state().store.get_breaker(name) is None:
        abort(404, f"no circuit breaker {name!r}")
    reset_breaker(state().store, name)
    flash(f"Breaker {name} closed.")
    return redirect(url_for("pages.venue", venue_id=integration.venue_id))


def _report(venue_id: str | None) -> StatusReport:
    """The status of the signed-in tenant's venues (or one of them)."""
    who = operator()
    assert who is not None  # after signed_in
    report = collect_status(state().store, Warehouse(state().settings.warehouse_url), venue_id)
    mine = [v for v in report.venues if v.tenant_id == who.tenant_id]
    return StatusReport(report.generated_at, mine, report.warehouse_problem)


def _own_integration(integration_id: str) -> Any:
    """The tenant's integration, else 404 (another tenant's looks like no integration)."""
    from warehouse.errors import NotFoundError

    who = operator()
    try:
        integration = state().store.get_integration(integration_id)
    except NotFoundError:
        integration = None
    if integration is None or who is None or integration.tenant_id != who.tenant_id:
        abort(404, f"no integration {integration_id!r} of your tenant")
    return integration


def _history_filter(integration_id: str) -> tuple[LogFilter, dict[str, str]]:
    """The history's filters from the query string; a value that does not parse is dropped."""
    args = request.args
    chosen = {k: args.get(k, "") for k in ("status", "resource", "since", "until", "before")}
    since, until = _day(chosen["since"]), _day(chosen["until"])
    before = chosen["before"]
    where = LogFilter(
        integration_id=integration_id,
        status=chosen["status"] if chosen["status"] in SYNC_LOG_STATUSES else None,
        resource=chosen["resource"] or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        before_id=int(before)
        if before.isascii() and before.isdigit() and len(before) < 18
        else None,
    )
    return where, chosen


def _day(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC) if text else None
    except ValueError:
        return None


def _safe_next(target: str | None) -> str | None:
    """Only a path of the status page itself: never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/status/"):
        return None
    return target
