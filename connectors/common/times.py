"""Time conversions every connector needs: provider timestamps to ISO-8601 UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(unix_seconds: float) -> str:
    """`1700000000` -> `"2023-11-14T22:13:20Z"` (whole seconds, UTC)."""
    return datetime.fromtimestamp(int(unix_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """ISO-8601 (with `Z` or an offset; naive taken as UTC) -> unix seconds."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
