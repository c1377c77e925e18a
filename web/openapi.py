"""The OpenAPI 3.1 document served at /openapi.json; tests check it against the app's routes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}
SERVICE: list[dict[str, list[str]]] = [
    {"serviceName": [], "serviceTimestamp": [], "serviceNonce": [], "serviceSignature": []}
]
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
OBJ: dict[str, Any] = {"type": "object"}


def _param(
    name: str,
    where: str = "path",
    schema: dict[str, Any] | None = None,
    required: bool | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path" if required is None else required,
        "schema": schema or {"type": "string", "minLength": 1},
    }


def _op(
    summary: str,
    responses: dict[int, str],
    *,
    params: list[dict[str, Any]] | None = None,
    security: list[Any] | None = None,
    body: dict[str, Any] | None = None,
    body_type: str = "application/json",
    text: set[int] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": params or [], "responses": {}}
    for status, description in responses.items():
        media = "text/plain" if text and status in text else "application/json"
        schema = ERROR if status >= 400 else OBJ
        op["responses"][str(status)] = (
            {"description": description}
            if status == 204
            else {
                "description": description,
                "content": {
                    media: {"schema": {"type": "string"} if media == "text/plain" else schema}
                },
            }
        )
    if security is not None:
        op["security"] = security
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
    return op


PROVIDER = {"type": "string", "enum": ["stripe", "square", "mailchimp", "quickbooks"]}
OAUTH_PROVIDER = {"type": "string", "enum": ["quickbooks", "square", "mailchimp"]}
WEBHOOK_PARAMS = [_param("provider", schema=PROVIDER), _param("integration_id")]
CONNECTION = [_param("integration_id")]
AUTH_ERRORS = {401: "not authenticated", 403: "not permitted"}
M = "/api/v1/integrations/health/monitoring"
TRIGGER = {
    "type": "object",
    "required": ["venueId"],
    "properties": {
        "venueId": {"type": "string", "minLength": 1},
        "provider": PROVIDER,
        "resources": {"type": "array", "items": {"type": "string"}},
        "priority": {"type": "string", "enum": ["critical", "high", "normal", "low"]},
        "fullRefresh": {"type": "boolean"},
    },
}
NEW_CONNECTION = {
    "type": "object",
    "required": ["venueId", "provider", "credentials"],
    "properties": {
        "venueId": {"type": "string"},
        "provider": PROVIDER,
        "credentials": {"type": "object", "additionalProperties": {"type": "string"}},
        "baseUrl": {"type": "string"},
        "name": {"type": "string"},
    },
}

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": _op("Liveness", {200: '{"status": "ok"}'})},
    "/openapi.json": {"get": _op("This document", {200: "OpenAPI 3.1"})},
    "/api/v1/integrations/webhooks/{provider}/{integration_id}": {
        "post": _op(
            "Receive a provider webhook: verified, stored, then acknowledged",
            {
                200: "stored (or a duplicate, dropped)",
                400: "bad or missing signature; nothing stored",
                404: "unknown provider or integration",
                413: "body too large",
            },
            params=WEBHOOK_PARAMS + [_param("secret", "query", required=False)],
            body={"type": "string"},
            body_type="application/octet-stream",
        ),
        "get": _op(
            "Mailchimp URL validation",
            {
                200: "the URL is ours",
                400: "wrong secret",
                404: "unknown integration",
                405: "not Mailchimp",
            },
            params=WEBHOOK_PARAMS + [_param("secret", "query", required=False)],
        ),
    },
    "/api/v1/integrations/webhooks/{provider}/{integration_id}/verify": {
        "post": _op(
            "Check a delivery's signature without storing it",
            {200: "valid", 400: "invalid", 404: "unknown integration", 413: "body too large"},
            params=WEBHOOK_PARAMS,
            body={"type": "string"},
            body_type="application/octet-stream",
        ),
    },
    "/internal/sync-logs/venue/{venue_id}": {
        "get": _op(
            "A venue's sync logs, newest first (needs logs:read)",
            {
                200: '{"venueId", "logs", "count", "nextBefore"}',
                400: "bad parameter",
                **AUTH_ERRORS,
            },
            params=[
                _param("venue_id"),
                _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, False),
                _param("since", "query", {"type": "string", "format": "date-time"}, False),
                _param("before", "query", {"type": "integer", "minimum": 1}, False),
            ],
            security=SERVICE,
        ),
    },
    "/internal/integrations/venue/{venue_id}/status": {
        "get": _op(
            "Each provider's status for a venue (needs integrations:read)",
            {200: "status by provider", **AUTH_ERRORS},
            params=[_param("venue_id")],
            security=SERVICE,
        ),
    },
    "/internal/sync/trigger": {
        "post": _op(
            "Start sync runs (needs integrations:write or a matching sync:*)",
            {
                202: '{"runId", "runs", "queue"}',
                400: "bad body",
                404: "no integration",
                503: "orchestrator unavailable",
                **AUTH_ERRORS,
            },
            body=TRIGGER,
            security=SERVICE,
        ),
    },
    f"{M}/metrics": {"get": _op("Prometheus metrics", {200: "text exposition"}, text={200})},
    f"{M}/health/live": {"get": _op("The process answers", {200: "ok"})},
    f"{M}/health/ready": {"get": _op("The store answers", {200: "ready", 503: "not ready"})},
    f"{M}/health/deep": {
        "get": _op("Store, warehouse, Prefect", {200: "all up", 503: "something down"})
    },
    f"{M}/performance": {
        "get": _op(
            "Webhook latency, sync throughput", {200: "figures", **AUTH_ERRORS}, security=SERVICE
        )
    },
    f"{M}/dlq": {
        "get": _op(
            "Dead letters",
            {200: "newest first", 400: "bad parameter", **AUTH_ERRORS},
            params=[
                _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, False)
            ],
            security=SERVICE,
        )
    },
    f"{M}/circuit-breakers": {
        "get": _op("Circuit breakers", {200: "every breaker", **AUTH_ERRORS}, security=SERVICE)
    },
    f"{M}/circuit-breakers/{{name}}/reset": {
        "post": _op(
            "Close a breaker (needs integrations:write)",
            {200: "closed", 404: "no such breaker", **AUTH_ERRORS},
            params=[_param("name")],
            security=SERVICE,
        ),
    },
    f"{M}/idempotency": {
        "get": _op("Inbox dedupe counts", {200: "counts", **AUTH_ERRORS}, security=SERVICE)
    },
    "/api/v1/integrations/connections": {
        "get": _op("The caller's connections", {200: "list", 401: "bad token"}, security=BEARER),
        "post": _op(
            "Connect a provider account",
            {
                201: "created",
                400: "bad body or credentials",
                401: "bad token",
                403: "venue not granted",
            },
            body=NEW_CONNECTION,
            security=BEARER,
        ),
    },
    "/api/v1/integrations/connections/{integration_id}": {
        "get": _op(
            "One connection",
            {200: "the connection", 401: "bad token", 404: "not the caller's"},
            params=CONNECTION,
            security=BEARER,
        ),
        "delete": _op(
            "Disconnect",
            {204: "removed", 401: "bad token", 404: "not the caller's"},
            params=CONNECTION,
            security=BEARER,
        ),
    },
    "/api/v1/integrations/connections/{integration_id}/sync": {
        "post": _op(
            "Sync now (high queue)",
            {
                202: "run started",
                400: "bad body",
                401: "bad token",
                404: "not the caller's",
                503: "orchestrator unavailable",
            },
            params=CONNECTION,
            security=BEARER,
        ),
    },
    "/api/v1/integrations/mappings": {
        "get": _op("Shipped mapping specs", {200: "list", 401: "bad token"}, security=BEARER)
    },
    "/api/v1/integrations/mappings/validate": {
        "post": _op(
            "Validate a spec",
            {200: "valid or issues", 400: "bad body", 401: "bad token"},
            body={
                "type": "object",
                "required": ["yaml"],
                "properties": {"yaml": {"type": "string"}},
            },
            security=BEARER,
        ),
    },
    "/api/v1/integrations/admin/connections": {
        "get": _op(
            "Every connection of the tenant (admin)",
            {200: "list", 401: "bad token", 403: "not admin"},
            security=BEARER,
        ),
    },
    "/api/v1/integrations/admin/dead-letters": {
        "get": _op(
            "The tenant's dead letters (admin)",
            {200: "list", 401: "bad token", 403: "not admin"},
            security=BEARER,
        ),
    },
    "/api/v1/integrations/oauth/{provider}/start": {
        "get": _op(
            "Authorization URL with a bound state",
            {
                200: "URL and state",
                400: "bad parameter",
                401: "bad token",
                403: "venue not granted",
                404: "no OAuth for provider",
                503: "OAuth app not configured",
            },
            params=[
                _param("provider", schema=OAUTH_PROVIDER),
                _param("venueId", "query", required=True),
            ],
            security=BEARER,
        ),
    },
    "/api/v1/integrations/oauth/{provider}/callback": {
        "get": _op(
            "Finish the connect flow",
            {
                201: "connection created",
                400: "bad state or parameters",
                401: "bad token",
                403: "venue not granted",
                404: "no OAuth for provider",
                502: "provider refused the code",
                503: "OAuth app not configured",
            },
            params=[
                _param("provider", schema=OAUTH_PROVIDER),
                _param("code", "query", required=False),
                _param("state", "query", required=False),
                _param("realmId", "query", required=False),
            ],
            security=BEARER,
        ),
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "intsync",
        "version": "1",
        "description": "Webhooks, internal, monitoring and public routes. See docs/api.md.",
    },
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "serviceName": {"type": "apiKey", "in": "header", "name": "X-Service-Name"},
            "serviceTimestamp": {"type": "apiKey", "in": "header", "name": "X-Request-Timestamp"},
            "serviceNonce": {"type": "apiKey", "in": "header", "name": "X-Request-Nonce"},
            "serviceSignature": {"type": "apiKey", "in": "header", "name": "X-Signature"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "requestId": {"type": "string"},
                        },
                    }
                },
            }
        },
    },
}


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document."""
    return jsonify(DOCUMENT)
