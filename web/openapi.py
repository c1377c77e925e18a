"""The OpenAPI 3.1 document served at /openapi.json; tests check it against the app's routes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_swagger_ui import get_swaggerui_blueprint

from connectors.providers import PROVIDERS
from web.oauth import PROVIDERS as OAUTH_PROVIDERS
from web.openapi_schemas import (
    BREAKER,
    BREAKERS,
    CONNECTIONS,
    DEAD_LETTERS,
    DEEP,
    DLQ,
    IDEMPOTENCY,
    MAPPINGS,
    OAUTH_START,
    OK,
    OPENAPI_DOCUMENT,
    PERFORMANCE,
    READY,
    RECEIVED,
    SCHEMAS,
    SYNC_LOGS,
    SYNC_STARTED,
    TRIGGERED,
    URL_CHECKED,
    VALIDATED,
    VENUE_STATUS,
    VERIFIED,
    ref,
)

bp = Blueprint("openapi", __name__)
# blueprints of pages for people, not API operations: /openapi.json leaves them out
PAGE_BLUEPRINTS = ("api_reference", "pages")

ERROR = {"$ref": "#/components/schemas/Error"}
SERVICE: list[dict[str, list[str]]] = [
    {"serviceName": [], "serviceTimestamp": [], "serviceNonce": [], "serviceSignature": []}
]
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


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
    responses: dict[int, str | tuple[str, dict[str, Any]]],
    *,
    params: list[dict[str, Any]] | None = None,
    security: list[Any] | None = None,
    body: dict[str, Any] | None = None,
    body_type: str = "application/json",
    text: set[int] | None = None,
) -> dict[str, Any]:
    """One operation; a response is its description, or (description, schema of its JSON
    body). Error statuses answer the Error schema."""
    op: dict[str, Any] = {"summary": summary, "parameters": params or [], "responses": {}}
    for status, answer in responses.items():
        description, schema = answer if isinstance(answer, tuple) else (answer, None)
        if status >= 400:
            schema = ERROR
        if status == 204:
            op["responses"][str(status)] = {"description": description}
            continue
        if text and status in text:
            content = {"text/plain": {"schema": {"type": "string"}}}
        else:
            assert schema is not None, f"{summary}: {status} has no schema"
            content = {"application/json": {"schema": schema}}
        op["responses"][str(status)] = {"description": description, "content": content}
    if security is not None:
        op["security"] = security
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
    return op


PROVIDER = {"type": "string", "enum": list(PROVIDERS)}
OAUTH_PROVIDER = {"type": "string", "enum": list(OAUTH_PROVIDERS)}
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
    "/health": {"get": _op("Liveness", {200: ('{"status": "ok"}', OK)})},
    "/openapi.json": {"get": _op("This document", {200: ("OpenAPI 3.1", OPENAPI_DOCUMENT)})},
    "/api/v1/integrations/webhooks/{provider}/{integration_id}": {
        "post": _op(
            "Receive a provider webhook: verified, stored, then acknowledged",
            {
                200: ("stored (or a duplicate, dropped)", RECEIVED),
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
                200: ("the URL is ours", URL_CHECKED),
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
            {
                200: ("valid", VERIFIED),
                400: "invalid",
                404: "unknown integration",
                413: "body too large",
            },
            params=WEBHOOK_PARAMS,
            body={"type": "string"},
            body_type="application/octet-stream",
        ),
    },
    "/internal/sync-logs/venue/{venue_id}": {
        "get": _op(
            "A venue's sync logs, newest first (needs logs:read)",
            {
                200: ("the venue's logs, newest first", SYNC_LOGS),
                400: "bad or unknown parameter",
                **AUTH_ERRORS,
            },
            params=[
                _param("venue_id"),
                _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, False),
                _param("since", "query", {"type": "string", "format": "date-time"}, False),
                _param("until", "query", {"type": "string", "format": "date-time"}, False),
                _param("status", "query", {"enum": ["running", "success", "failed"]}, False),
                _param("provider", "query", PROVIDER, False),
                _param("resource", "query", {"type": "string", "maxLength": 64}, False),
                _param("before", "query", {"type": "integer", "minimum": 1}, False),
            ],
            security=SERVICE,
        ),
    },
    "/internal/integrations/venue/{venue_id}/status": {
        "get": _op(
            "Each provider's status for a venue (needs integrations:read)",
            {200: ("status by provider", VENUE_STATUS), **AUTH_ERRORS},
            params=[_param("venue_id")],
            security=SERVICE,
        ),
    },
    "/internal/sync/trigger": {
        "post": _op(
            "Start sync runs (needs integrations:write or a matching sync:*)",
            {
                202: ("one run per matching integration", TRIGGERED),
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
    f"{M}/health/live": {"get": _op("The process answers", {200: ("ok", OK)})},
    f"{M}/health/ready": {
        "get": _op("The store answers", {200: ("ready", READY), 503: "not ready"})
    },
    f"{M}/health/deep": {
        "get": _op("Store, warehouse, Prefect", {200: ("all up", DEEP), 503: "something down"})
    },
    f"{M}/performance": {
        "get": _op(
            "Webhook latency, sync throughput",
            {200: ("figures", PERFORMANCE), **AUTH_ERRORS},
            security=SERVICE,
        )
    },
    f"{M}/dlq": {
        "get": _op(
            "Dead letters",
            {200: ("newest first", DLQ), 400: "bad parameter", **AUTH_ERRORS},
            params=[
                _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}, False)
            ],
            security=SERVICE,
        )
    },
    f"{M}/circuit-breakers": {
        "get": _op(
            "Circuit breakers", {200: ("every breaker", BREAKERS), **AUTH_ERRORS}, security=SERVICE
        )
    },
    f"{M}/circuit-breakers/{{name}}/reset": {
        "post": _op(
            "Close a breaker (needs integrations:write)",
            {200: ("closed", BREAKER), 404: "no such breaker", **AUTH_ERRORS},
            params=[_param("name")],
            security=SERVICE,
        ),
    },
    f"{M}/idempotency": {
        "get": _op(
            "Inbox dedupe counts", {200: ("counts", IDEMPOTENCY), **AUTH_ERRORS}, security=SERVICE
        )
    },
    "/api/v1/integrations/connections": {
        "get": _op(
            "The caller's connections",
            {200: ("list", CONNECTIONS), 401: "bad token"},
            security=BEARER,
        ),
        "post": _op(
            "Connect a provider account",
            {
                201: ("created", ref("Connection")),
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
            {200: ("the connection", ref("Connection")), 401: "bad token", 404: "not the caller's"},
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
                202: ("run started", SYNC_STARTED),
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
        "get": _op(
            "Shipped mapping specs", {200: ("list", MAPPINGS), 401: "bad token"}, security=BEARER
        )
    },
    "/api/v1/integrations/mappings/validate": {
        "post": _op(
            "Validate a spec",
            {200: ("valid or issues", VALIDATED), 400: "bad body", 401: "bad token"},
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
            {200: ("list", CONNECTIONS), 401: "bad token", 403: "not admin"},
            security=BEARER,
        ),
    },
    "/api/v1/integrations/admin/dead-letters": {
        "get": _op(
            "The tenant's dead letters (admin)",
            {200: ("list", DEAD_LETTERS), 401: "bad token", 403: "not admin"},
            security=BEARER,
        ),
    },
    "/api/v1/integrations/oauth/{provider}/start": {
        "get": _op(
            "Authorization URL with a bound state",
            {
                200: ("URL and state", OAUTH_START),
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
                201: ("connection created", ref("Connection")),
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
        "schemas": SCHEMAS,
    },
}


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document."""
    return jsonify(DOCUMENT)


def reference_page() -> Blueprint:
    """The API reference at /docs: Swagger UI over /openapi.json, its files served from the
    flask-swagger-ui package (nothing is fetched from elsewhere)."""
    return get_swaggerui_blueprint(
        "/docs",
        "/openapi.json",
        config={"app_name": "intsync API reference", "deepLinking": True},
        blueprint_name="api_reference",
    )
