"""Events other teams automate on: every sync's start, completion and failure, and imported
webhook events, each about the integration with its venue and provider as related resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect.events import emit_event

if TYPE_CHECKING:
    from warehouse.store import Integration

SYNC_STARTED = "integration.sync.started"
SYNC_COMPLETED = "integration.sync.completed"
SYNC_FAILED = "integration.sync.failed"
EVENT_IMPORTED = "external.event.imported"


def resources(integration: Integration) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The event's resource (the integration) and related resources (integration, venue,
    provider, tenant)."""
    main = {
        "prefect.resource.id": f"intsync.integration.{integration.id}",
        "prefect.resource.name": integration.name or integration.id,
        "intsync.provider": integration.provider,
        "intsync.venue_id": integration.venue_id,
    }
    related = [
        {
            "prefect.resource.id": f"intsync.integration.{integration.id}",
            "prefect.resource.role": "integration",
        },
        {
            "prefect.resource.id": f"intsync.venue.{integration.venue_id}",
            "prefect.resource.role": "venue",
        },
        {
            "prefect.resource.id": f"intsync.provider.{integration.provider}",
            "prefect.resource.role": "provider",
        },
        {
            "prefect.resource.id": f"intsync.tenant.{integration.tenant_id}",
            "prefect.resource.role": "tenant",
        },
    ]
    return main, related


def emit(name: str, integration: Integration, payload: dict[str, Any]) -> None:
    """Emit event `name` about `integration` (dropped quietly when no Prefect API is reachable)."""
    main, related = resources(integration)
    emit_event(name, resource=main, related=related, payload=payload)


def sync_started(
    integration: Integration, run_id: str, resources_: list[str] | None, **extra: Any
) -> None:
    """`integration.sync.started`."""
    emit(SYNC_STARTED, integration, {"run_id": run_id, "resources": resources_, **extra})


def sync_finished(integration: Integration, result: dict[str, Any]) -> None:
    """`integration.sync.completed` with row counts, or `integration.sync.failed` with the reason."""
    counts = {
        r["resource"]: {
            "status": r["status"],
            "rows_extracted": r["rows_extracted"],
            "rows_loaded": r["rows_loaded"],
            "rows_deleted": r["rows_deleted"],
        }
        for r in result["resources"]
    }
    if result["status"] == "success":
        emit(SYNC_COMPLETED, integration, {"run_id": result["run_id"], "resources": counts})
    else:
        emit(
            SYNC_FAILED,
            integration,
            {"run_id": result["run_id"], "reason": result.get("error"), "resources": counts},
        )


def events_imported(
    integration: Integration, run_id: str, applied: dict[str, int], count: int
) -> None:
    """`external.event.imported`: a batch of webhook events was applied."""
    emit(EVENT_IMPORTED, integration, {"run_id": run_id, "events": count, "applied": applied})
