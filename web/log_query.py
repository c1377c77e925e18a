"""The query of the sync-log route, read strictly: known parameters only, each once and valid;
and a sync log as the route shows it, its cursors as JSON objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from flask import request

from connectors.common.times import parse_iso
from connectors.registry import PROVIDERS
from warehouse.store.models import SyncLog
from warehouse.store.sync_log_queries import SYNC_LOG_STATUSES, LogFilter
from web.errors import ApiError
from web.service_auth import is_decimal

MAX_LIMIT = 1000
SYNC_LOG_PARAMETERS = ("limit", "before", "since", "until", "status", "provider", "resource")


def refuse_unknown(allowed: tuple[str, ...]) -> None:
    """400 `unknown_parameter` for a query parameter the route does not take (a misspelt filter
    would otherwise return everything), 400 `invalid_parameter` for one given twice."""
    for name in request.args:
        if name not in allowed:
            raise ApiError(
                400,
                "unknown_parameter",
                f"unknown query parameter {name[:40]!r}: this route takes {', '.join(allowed)}",
            )
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, "invalid_parameter", f"{name} is given more than once")


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """A query-string integer within bounds; 400 naming the parameter otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not is_decimal(raw, max_digits=len(str(high))) or not low <= int(raw) <= high:
        raise ApiError(
            400, "invalid_parameter", f"{name}={raw[:40]!r}: expected an integer {low}..{high}"
        )
    return int(raw)


def time_arg(name: str) -> datetime | None:
    """An ISO-8601 query parameter as an aware datetime; 400 when it is not one."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(parse_iso(raw), UTC)
    except (ValueError, OverflowError, OSError):
        raise ApiError(
            400,
            "invalid_parameter",
            f"{name}={raw[:40]!r}: expected ISO-8601, e.g. 2026-01-31T00:00:00Z",
        ) from None


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of `choices`."""
    raw = request.args.get(name)
    if not raw:
        return None
    if raw not in choices:
        raise ApiError(
            400, "invalid_parameter", f"{name}={raw[:40]!r}: expected one of {', '.join(choices)}"
        )
    return raw


def sync_log_query(venue_id: str) -> tuple[LogFilter, int]:
    """The filter and page size the sync-log route's query asks for."""
    refuse_unknown(SYNC_LOG_PARAMETERS)
    since, until = time_arg("since"), time_arg("until")
    if since is not None and until is not None and until <= since:
        raise ApiError(400, "invalid_parameter", "until must be later than since")
    resource = request.args.get("resource") or None
    if resource is not None and len(resource) > 64:
        raise ApiError(400, "invalid_parameter", "resource: at most 64 characters")
    where = LogFilter(
        venue_id=venue_id,
        since=since,
        until=until,
        status=choice_arg("status", SYNC_LOG_STATUSES),
        provider=choice_arg("provider", tuple(PROVIDERS)),
        resource=resource,
        before_id=int_arg("before", None, 1, 2**62),
    )
    return where, int_arg("limit", 100, 1, MAX_LIMIT) or 100


def log_json(log: SyncLog) -> dict[str, Any]:
    """A sync log for the API: as `SyncLog.to_dict`, with `cursor_before` and `cursor_after` as
    JSON objects (the store keeps them as JSON text; one that is not an object, from an older
    row, becomes `{"value": <its text>}`)."""
    data = log.to_dict()
    data["cursor_before"] = _cursor(log.cursor_before)
    data["cursor_after"] = _cursor(log.cursor_after)
    return data


def _cursor(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": text}
