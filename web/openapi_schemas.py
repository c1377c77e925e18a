"""The JSON schemas of the routes' answers, for /openapi.json: components and the response
bodies that refer to them. Each follows what its route builds (see the route's module)."""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
INT = {"type": "integer"}
NUMBER = {"type": "number"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object whose `required` properties are always there, and nothing else but
    `optional`'s."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def by_name(values: dict[str, Any]) -> dict[str, Any]:
    """An object of any keys, each holding `values`."""
    return {"type": "object", "additionalProperties": values}


SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": STRING, "message": STRING, "requestId": STRING},
            }
        }
    ),
    "SyncLog": obj(
        {
            "id": INT,
            "run_id": STRING,
            "integration_id": STRING,
            "tenant_id": STRING,
            "venue_id": STRING,
            "provider": STRING,
            "resource": STRING,
            "status": {"type": "string", "enum": ["running", "success", "failed"]},
            "started_at": TIME,
            "finished_at": nullable(TIME),
            "duration_s": nullable(NUMBER),
            "rows_extracted": INT,
            "rows_loaded": INT,
            "rows_deleted": INT,
            "rows_quarantined": INT,
            "cursor_before": nullable({"type": "object"}),
            "cursor_after": nullable({"type": "object"}),
            "error_class": nullable(STRING),
            "error_message": nullable(STRING),
            "details": nullable({"type": "object"}),
            "spec_versions": nullable(by_name(STRING)),
        }
    ),
    "Connection": obj(
        {
            "id": STRING,
            "tenantId": STRING,
            "venueId": STRING,
            "provider": STRING,
            "name": nullable(STRING),
            "baseUrl": nullable(STRING),
            "status": {"type": "string", "enum": ["active", "needs_reconnect", "disabled"]},
            "statusMessage": nullable(STRING),
            "credentialKeys": array(STRING),
            "createdAt": TIME,
        }
    ),
    "DeadLetter": obj(
        {
            "id": INT,
            "kind": STRING,
            "integration_id": nullable(STRING),
            "payload": {"type": "object"},
            "reason": STRING,
            "attempts": INT,
            "created_at": TIME,
        }
    ),
    "Breaker": obj(
        {
            "name": STRING,
            "state": {"type": "string", "enum": ["closed", "open", "half_open"]},
            "consecutive_failures": INT,
            "opened_at": nullable(TIME),
            "updated_at": nullable(TIME),
        }
    ),
    "Check": obj(
        {
            "status": {"type": "string", "enum": ["ok", "down", "not_configured"]},
            "latencyMs": nullable(NUMBER),
        },
        {"error": STRING},
    ),
}

OK = obj({"status": {"const": "ok"}})
OPENAPI_DOCUMENT = {"type": "object", "required": ["openapi", "info", "paths"]}
RECEIVED = obj({"received": INT, "stored": INT, "duplicates": INT})
URL_CHECKED = obj({"ok": {"const": True}})
VERIFIED = obj({"valid": {"const": True}, "events": array(STRING)})
SYNC_LOGS = obj(
    {"venueId": STRING, "logs": array(ref("SyncLog")), "count": INT, "nextBefore": nullable(INT)}
)
INTEGRATION_STATUS = obj(
    {
        "id": STRING,
        "status": STRING,
        "statusMessage": nullable(STRING),
        "lastSync": nullable(ref("SyncLog")),
        "lastError": nullable(
            obj({"at": TIME, "class": nullable(STRING), "message": nullable(STRING)})
        ),
        "breakerState": {"type": "string", "enum": ["closed", "open", "half_open"]},
        "cursorAgeSeconds": nullable(NUMBER),
    }
)
VENUE_STATUS = obj(
    {
        "venueId": STRING,
        "providers": by_name(obj({"connected": BOOL, "integrations": array(INTEGRATION_STATUS)})),
    }
)
TRIGGERED = obj(
    {
        "runId": STRING,
        "runs": array(obj({"integrationId": STRING, "provider": STRING, "runId": STRING})),
        "queue": STRING,
    }
)
SYNC_STARTED = obj({"runId": STRING, "queue": STRING, "integrationId": STRING})
READY = obj({"status": {"type": "string", "enum": ["ok", "unavailable"]}, "store": ref("Check")})
DEEP = obj(
    {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "down": array(STRING),
        "checks": obj({"store": ref("Check"), "warehouse": ref("Check"), "prefect": ref("Check")}),
    }
)
PERFORMANCE = obj(
    {
        "webhooks": by_name(
            obj(
                {
                    "count": INT,
                    "p50Ms": nullable(NUMBER),
                    "p95Ms": nullable(NUMBER),
                    "p99Ms": nullable(NUMBER),
                }
            )
        ),
        "syncs": obj(
            {
                "windowHours": NUMBER,
                "byProvider": by_name(
                    obj(
                        {
                            "resourceSyncs": INT,
                            "rowsLoaded": INT,
                            "meanSeconds": NUMBER,
                            "rowsPerSecond": nullable(NUMBER),
                        }
                    )
                ),
            }
        ),
    }
)
DLQ = obj({"total": INT, "deadLetters": array(ref("DeadLetter"))})
BREAKERS = obj({"breakers": array(ref("Breaker"))})
BREAKER = obj({"breaker": ref("Breaker")})
IDEMPOTENCY = obj(
    {
        "inbox": by_name(INT),
        "stored": INT,
        "duplicatesDropped": INT,
        "duplicateRatio": NUMBER,
    }
)
CONNECTIONS = obj({"connections": array(ref("Connection")), "count": INT})
MAPPINGS = obj(
    {
        "mappings": array(
            obj(
                {
                    "provider": STRING,
                    "resource": STRING,
                    "table": STRING,
                    "path": STRING,
                    "origin": STRING,
                    "version": STRING,
                }
            )
        ),
        "count": INT,
        "issues": array(STRING),
    }
)
VALIDATED = obj(
    {
        "valid": BOOL,
        "issues": array(obj({"line": INT, "column": INT, "message": STRING}, {"file": STRING})),
    }
)
DEAD_LETTERS = obj({"deadLetters": array(ref("DeadLetter")), "count": INT})
OAUTH_START = obj({"authorizationUrl": STRING, "state": STRING})
