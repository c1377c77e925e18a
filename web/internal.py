"""Internal routes for other services: sync logs, integration status, sync triggers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, jsonify, request

from connectors.registry import PROVIDERS
from intsync.runs import SYNC_DEPLOYMENT
from warehouse.store.sync_log_queries import find_sync_logs
from web.errors import ApiError
from web.log_query import log_json, sync_log_query
from web.orchestration import queue_for
from web.service_auth import has_permission, require
from web.state import state

if TYPE_CHECKING:
    from warehouse.store import Integration, Store

bp = Blueprint("internal", __name__, url_prefix="/internal")

_BREAKER_RANK = {"closed": 0, "half_open": 1, "open": 2}


@bp.get("/sync-logs/venue/<venue_id>")
@require("logs:read")
def sync_logs(venue_id: str) -> Response:
    """The venue's sync history, newest first, filtered by `since`, `until`, `status`,
    `provider` and `resource`; page back with `before=<nextBefore>`."""
    where, limit = sync_log_query(venue_id)
    logs = find_sync_logs(state().store, where, limit)
    return jsonify(
        {
            "venueId": venue_id,
            "logs": [log_json(log) for log in logs],
            "count": len(logs),
            "nextBefore": logs[-1].id if len(logs) == limit else None,
        }
    )


@bp.get("/integrations/venue/<venue_id>/status")
@require("integrations:read")
def venue_status(venue_id: str) -> Response:
    """Each provider for the venue: connected, last sync, last error, breaker state, cursor age."""
    store = state().store
    breakers = {b.name: b.state for b in store.list_breakers()}
    integrations = store.list_integrations(venue_id=venue_id)
    providers: dict[str, Any] = {}
    for provider in PROVIDERS:
        mine = [i for i in integrations if i.provider == provider]
        providers[provider] = {
            "connected": any(i.status == "active" for i in mine),
            "integrations": [_integration_status(i, store, breakers) for i in mine],
        }
    return jsonify({"venueId": venue_id, "providers": providers})


def _integration_status(
    integration: Integration, store: Store, breakers: dict[str, str]
) -> dict[str, Any]:
    logs = store.list_sync_logs(integration_id=integration.id, limit=50)
    finished = [log for log in logs if log.finished_at is not None]
    last = finished[0] if finished else None
    error = next((log for log in finished if log.status == "failed"), None)
    good = next((log for log in finished if log.status == "success"), None)
    # Breakers are named after what they guard: the provider, or the provider and integration.
    matching = [
        state
        for name, state in breakers.items()
        if integration.id in name or name == integration.provider
    ]
    breaker = max(matching, key=lambda s: _BREAKER_RANK.get(s, 2), default="closed")
    return {
        "id": integration.id,
        "status": integration.status,
        "statusMessage": integration.status_message,
        "lastSync": log_json(last) if last else None,
        "lastError": (
            {
                "at": error.finished_at.isoformat() if error.finished_at else None,
                "class": error.error_class,
                "message": error.error_message,
            }
            if error
            else None
        ),
        "breakerState": breaker,
        "cursorAgeSeconds": (
            round((datetime.now(UTC) - good.finished_at).total_seconds(), 1)
            if good and good.finished_at
            else None
        ),
    }


@bp.post("/sync/trigger")
@require("integrations:write", "sync:payments", "sync:contacts", "sync:events", "sync:tickets")
def trigger_sync() -> tuple[Response, int]:
    """Start a sync-integration run per matching integration (high queue unless asked otherwise)."""
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("venueId"), str)
        or not body["venueId"]
    ):
        raise ApiError(
            400,
            "invalid_body",
            'expected JSON {"venueId": "...", "provider"?, "resources"?, "priority"?}',
        )
    provider, resources = body.get("provider"), body.get("resources")
    if provider is not None and provider not in PROVIDERS:
        raise ApiError(
            400, "invalid_body", f"provider {provider!r} is not one of {', '.join(PROVIDERS)}"
        )
    if resources is not None and (
        not isinstance(resources, list) or not all(isinstance(r, str) for r in resources)
    ):
        raise ApiError(400, "invalid_body", "resources must be a list of resource names")
    try:
        queue = queue_for(body.get("priority"))
    except ValueError as exc:
        raise ApiError(400, "invalid_body", str(exc)) from None
    integrations = state().store.list_integrations(venue_id=body["venueId"], provider=provider)
    if not integrations:
        raise ApiError(
            404, "no_integration", f"venue {body['venueId']!r} has no matching integration"
        )
    for integration in integrations:
        _check_sync_permission(integration.provider)
    runs = [
        {
            "integrationId": i.id,
            "provider": i.provider,
            "runId": start_sync(i.id, resources, bool(body.get("fullRefresh")), queue),
        }
        for i in integrations
    ]
    return jsonify({"runId": runs[0]["runId"], "runs": runs, "queue": queue}), 202


def _check_sync_permission(provider: str) -> None:
    granted = g.permissions
    kind = PROVIDERS[provider].sync_kind
    if not (
        has_permission(granted, "integrations:write") or has_permission(granted, f"sync:{kind}")
    ):
        raise ApiError(
            403,
            "permission_denied",
            f"service {g.service!r} lacks integrations:write or sync:{kind} for {provider}",
        )


def start_sync(
    integration_id: str, resources: list[str] | None, full_refresh: bool, queue: str
) -> str:
    """Start one sync-integration flow run; its id (503 orchestrator_unavailable when it cannot)."""
    return state().launcher(
        SYNC_DEPLOYMENT,
        {
            "integration_id": integration_id,
            "resources": resources,
            "full_refresh": full_refresh,
            "priority": queue,
        },
        queue,
    )
