"""The public API for people and front ends: connections, sync triggers, mappings, admin.

Every route needs a bearer token; the tenant and venues come from it. Another tenant's
connection is answered as if it did not exist (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from flask import Blueprint, Response, jsonify, request

from connectors.registry import (
    CATALOGUE,
    CredentialError,
    validate_base_url,
    validate_credentials,
)
from warehouse.errors import NotFoundError
from web.connections import add_owned_integration, check_allowed_base_url
from web.errors import ApiError
from web.internal import start_sync
from web.orchestration import queue_for
from web.state import state
from web.tokens import bearer, principal

if TYPE_CHECKING:
    from warehouse.store import Integration

bp = Blueprint("public", __name__, url_prefix="/api/v1/integrations")


def connection_json(integration: Integration) -> dict[str, Any]:
    """An integration as the API shows it: never its credentials, only their names."""
    return {
        "id": integration.id,
        "tenantId": integration.tenant_id,
        "venueId": integration.venue_id,
        "provider": integration.provider,
        "name": integration.name,
        "baseUrl": integration.base_url,
        "status": integration.status,
        "statusMessage": integration.status_message,
        "credentialKeys": sorted(integration.credentials),
        "createdAt": integration.created_at.isoformat(),
    }


def own_connection(integration_id: str) -> Any:
    """The caller's connection, or 404 (for another tenant's or venue's too)."""
    who = principal()
    try:
        integration = state().store.get_integration(integration_id)
    except NotFoundError:
        integration = None
    if (
        integration is None
        or integration.tenant_id != who.tenant_id
        or integration.venue_id not in who.venues
    ):
        raise ApiError(404, "connection_not_found", f"no connection {integration_id!r}")
    return integration


def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "expected a JSON object body")
    return body


@bp.get("/connections")
@bearer()
def list_connections() -> Response:
    """The caller's tenant's connections in the venues the token grants."""
    who = principal()
    found = state().store.list_integrations(tenant_id=who.tenant_id)
    shown = [connection_json(i) for i in found if i.venue_id in who.venues]
    return jsonify({"connections": shown, "count": len(shown)})


@bp.post("/connections")
@bearer()
def create_connection() -> tuple[Response, int]:
    """Connect a venue's provider account with API credentials."""
    body = json_body()
    venue, provider = body.get("venueId"), body.get("provider")
    credentials, base_url = body.get("credentials"), body.get("baseUrl")
    if not isinstance(venue, str) or not isinstance(provider, str):
        raise ApiError(400, "invalid_body", "venueId and provider are required strings")
    if not isinstance(credentials, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in credentials.items()
    ):
        raise ApiError(400, "invalid_body", "credentials must be an object of strings")
    principal().check_venue(venue)
    try:
        validate_credentials(provider, credentials)
        if base_url is not None:
            base_url = validate_base_url(str(base_url))
    except CredentialError as exc:
        raise ApiError(400, "invalid_credentials", str(exc)) from None
    if base_url is not None:
        check_allowed_base_url(base_url, state().settings.base_url_allowlist)
    name = body.get("name") if isinstance(body.get("name"), str) else None
    integration = add_owned_integration(
        tenant_id=principal().tenant_id,
        venue_id=venue,
        provider=provider,
        credentials=credentials,
        base_url=base_url,
        name=name,
    )
    return jsonify(connection_json(integration)), 201


@bp.get("/connections/<integration_id>")
@bearer()
def get_connection(integration_id: str) -> Response:
    """One of the caller's connections."""
    return jsonify(connection_json(own_connection(integration_id)))


@bp.delete("/connections/<integration_id>")
@bearer()
def remove_connection(integration_id: str) -> tuple[str, int]:
    """Disconnect: the credentials are deleted; sync history stays."""
    state().store.remove_integration(own_connection(integration_id).id)
    return "", 204


@bp.post("/connections/<integration_id>/sync")
@bearer()
def trigger_connection_sync(integration_id: str) -> tuple[Response, int]:
    """Start a sync of the connection now (high queue); the run id."""
    integration = own_connection(integration_id)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "expected a JSON object body or none")
    resources = body.get("resources")
    if resources is not None and (
        not isinstance(resources, list) or not all(isinstance(r, str) for r in resources)
    ):
        raise ApiError(400, "invalid_body", "resources must be a list of resource names")
    queue = queue_for(None)
    run_id = start_sync(integration.id, resources, bool(body.get("fullRefresh")), queue)
    return jsonify({"runId": run_id, "queue": queue, "integrationId": integration.id}), 202


@bp.get("/mappings")
@bearer()
def list_mappings() -> Response:
    """The mapping specs syncs use (the shipped ones with the INTSYNC_SPECS folder over them):
    provider, resource, target table, the file, whose it is and its version."""
    from mappings.loader import collect

    specs, _, issues = collect(None, None, CATALOGUE, state().settings.specs_dir)
    shown = [
        {
            "provider": s.provider,
            "resource": s.resource,
            "table": s.name,
            "path": s.path,
            "origin": s.origin,
            "version": s.version,
        }
        for s in specs
    ]
    return jsonify({"mappings": shown, "count": len(shown), "issues": [str(i) for i in issues]})


@bp.post("/mappings/validate")
@bearer()
def validate_mapping() -> Response:
    """Validate one spec given as YAML text: `{"yaml": "..."}`; the issues with line and column
    (and `file` for an issue in a spec it extends). Nothing is written anywhere."""
    from mappings.errors import SpecValidationError, ValidationIssue
    from mappings.loader import load_spec_text

    text = json_body().get("yaml")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "invalid_body", 'expected {"yaml": "<spec text>"}')
    try:
        load_spec_text(text, CATALOGUE, state().settings.specs_dir)
    except SpecValidationError as exc:
        issues = [_issue_json(i) for i in exc.errors]
        return jsonify({"valid": False, "issues": issues})
    except (yaml.YAMLError, UnicodeError) as exc:
        # The loader lets some unreadable input through as exceptions of its own.
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"not readable YAML: {type(exc).__name__}"
        issue = ValidationIssue("spec.yaml", line, column, message)
        return jsonify({"valid": False, "issues": [_issue_json(issue)]})
    return jsonify({"valid": True, "issues": []})


def _issue_json(issue: Any) -> dict[str, Any]:
    """A ValidationIssue as the API shows it."""
    found = {"line": issue.line, "column": issue.column, "message": issue.message}
    return found if issue.path == "spec.yaml" else {"file": issue.path, **found}


@bp.get("/admin/connections")
@bearer(admin=True)
def admin_connections() -> Response:
    """Admins: every connection of the tenant, in every venue."""
    found = state().store.list_integrations(tenant_id=principal().tenant_id)
    return jsonify({"connections": [connection_json(i) for i in found], "count": len(found)})


@bp.get("/admin/dead-letters")
@bearer(admin=True)
def admin_dead_letters() -> Response:
    """Admins: the tenant's dead letters, newest first."""
    store = state().store
    mine = {i.id for i in store.list_integrations(tenant_id=principal().tenant_id)}
    letters = [d.to_dict() for d in store.list_dead_letters(limit=1000) if d.integration_id in mine]
    return jsonify({"deadLetters": letters, "count": len(letters)})
