"""Monitoring under /api/v1/integrations/health/monitoring: metrics, health, breakers, dead letters.

`metrics` and the `health/*` routes are open (scrapers and load balancers cannot sign); the rest
show operational data and need a signed service request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, jsonify

from warehouse.store import BreakerState
from warehouse.store.types import utcnow
from web import probes
from web.errors import ApiError
from web.log_query import int_arg
from web.metrics import CONTENT_TYPE, MAX_LOGS_SCANNED, SYNC_WINDOW
from web.service_auth import require
from web.state import state

bp = Blueprint("monitoring", __name__, url_prefix="/api/v1/integrations/health/monitoring")
READ = ("integrations:read", "logs:read")


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition."""
    return Response(state().metrics.render(), mimetype=None, content_type=CONTENT_TYPE)


@bp.get("/health/live")
def live() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    """Ready to take webhooks: the operational store answers."""
    check = probes.timed(probes.store_check(state().store))
    ok = check["status"] == "ok"
    return jsonify({"status": "ok" if ok else "unavailable", "store": check}), 200 if ok else 503


@bp.get("/health/deep")
def deep() -> tuple[Response, int]:
    """Store, warehouse and Prefect API, each with its latency; 503 when any is down."""
    web = state()
    checks = {
        "store": probes.timed(probes.store_check(web.store)),
        "warehouse": probes.timed(
            web.warehouse_probe or probes.warehouse_check(web.settings.warehouse_url)
        ),
        "prefect": (
            probes.timed(probes.prefect_check(web.settings.prefect_api_url))
            if web.settings.prefect_api_url
            else {"status": "not_configured", "latencyMs": None}
        ),
    }
    down = [name for name, check in checks.items() if check["status"] == "down"]
    body = {"status": "degraded" if down else "ok", "down": down, "checks": checks}
    return jsonify(body), 503 if down else 200


@bp.get("/performance")
@require(*READ)
def performance() -> Response:
    """Webhook latency percentiles (this process) and sync throughput over the last 24 hours."""
    latencies = {
        provider: {
            "count": len(values),
            "p50Ms": _percentile(values, 0.50),
            "p95Ms": _percentile(values, 0.95),
            "p99Ms": _percentile(values, 0.99),
        }
        for provider, values in state().metrics.recent_latencies().items()
    }
    return jsonify({"webhooks": latencies, "syncs": _sync_throughput()})


@bp.get("/dlq")
@require(*READ)
def dead_letters() -> Response:
    """Dead letters, newest first (`limit`, default 100)."""
    store = state().store
    limit = int_arg("limit", 100, 1, 1000) or 100
    letters = store.list_dead_letters(limit=limit)
    return jsonify(
        {"total": store.count_dead_letters(), "deadLetters": [d.to_dict() for d in letters]}
    )


@bp.get("/circuit-breakers")
@require(*READ)
def breakers() -> Response:
    """Every saved circuit breaker."""
    return jsonify({"breakers": [b.to_dict() for b in state().store.list_breakers()]})


@bp.post("/circuit-breakers/<name>/reset")
@require("integrations:write")
def reset_breaker(name: str) -> Response:
    """Close a breaker by hand (after fixing what tripped it)."""
    store = state().store
    if store.get_breaker(name) is None:
        raise ApiError(404, "unknown_breaker", f"no circuit breaker {name!r}: see circuit-breakers")
    store.save_breaker(BreakerState(name=name, state="closed", consecutive_failures=0))
    saved = store.get_breaker(name)
    assert saved is not None  # saved just above
    return jsonify({"breaker": saved.to_dict()})


@bp.get("/idempotency")
@require(*READ)
def idempotency() -> Response:
    """Inbox counts by status and the duplicate deliveries dropped."""
    stats = state().store.inbox_stats()
    duplicates = stats.pop("duplicates")
    stored = sum(stats.values())
    return jsonify(
        {
            "inbox": stats,
            "stored": stored,
            "duplicatesDropped": duplicates,
            "duplicateRatio": round(duplicates / (stored + duplicates), 4) if stored else 0.0,
        }
    )


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return round(sorted_values[index] * 1000, 2)


def _sync_throughput() -> dict[str, Any]:
    since = utcnow() - SYNC_WINDOW
    totals: dict[str, dict[str, float]] = {}
    for log in state().store.list_sync_logs(since=since, limit=MAX_LOGS_SCANNED):
        if log.duration_s is None:
            continue
        entry = totals.setdefault(log.provider, {"runs": 0, "rows": 0, "seconds": 0.0})
        entry["runs"] += 1
        entry["rows"] += log.rows_loaded
        entry["seconds"] += log.duration_s
    by_provider = {
        provider: {
            "resourceSyncs": int(t["runs"]),
            "rowsLoaded": int(t["rows"]),
            "meanSeconds": round(t["seconds"] / t["runs"], 3),
            "rowsPerSecond": round(t["rows"] / t["seconds"], 1) if t["seconds"] else None,
        }
        for provider, t in totals.items()
    }
    return {"windowHours": SYNC_WINDOW / timedelta(hours=1), "byProvider": by_provider}
