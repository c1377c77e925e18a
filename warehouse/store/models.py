"""What the store hands out: plain frozen dataclasses, decrypted secrets only in memory."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

INTEGRATION_STATUSES = ("active", "needs_reconnect", "disabled")
BREAKER_STATES = ("closed", "open", "half_open")
INBOX_STATUSES = ("pending", "processing", "done", "failed")


@dataclass(frozen=True)
class Integration:
    """A venue's account at one provider."""

    id: str
    tenant_id: str
    venue_id: str
    provider: str
    name: str | None
    base_url: str | None
    credentials: dict[str, str] = field(repr=False)
    status: str
    status_message: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        hidden = {key: "***" for key in sorted(self.credentials)}
        return (
            f"Integration(id={self.id!r}, tenant_id={self.tenant_id!r}, "
            f"venue_id={self.venue_id!r}, provider={self.provider!r}, name={self.name!r}, "
            f"base_url={self.base_url!r}, credentials={hidden}, status={self.status!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class SyncLog:
    """One resource of one sync run of one integration."""

    id: int
    run_id: str
    integration_id: str
    tenant_id: str
    venue_id: str
    provider: str
    resource: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_extracted: int
    rows_loaded: int
    rows_deleted: int
    rows_quarantined: int
    cursor_before: str | None
    cursor_after: str | None
    error_class: str | None
    error_message: str | None
    details: dict[str, Any] | None
    # the version (content hash) of each spec the resource was mapped with, by table
    spec_versions: dict[str, str] | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish; None while running."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO-8601 UTC timestamps, snake_case keys, plus `duration_s`."""
        data = asdict(self)
        data["started_at"] = _iso(self.started_at)
        data["finished_at"] = _iso(self.finished_at)
        data["duration_s"] = self.duration_s
        return data


@dataclass(frozen=True)
class InboxEvent:
    """A webhook delivery, stored before it is acknowledged."""

    id: int
    provider: str
    integration_id: str
    tenant_id: str
    venue_id: str
    event_id: str
    received_at: datetime
    headers: dict[str, str]
    body: bytes = field(repr=False)
    status: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class DeadLetter:
    """Work given up on (a webhook event, a sync), kept for a person to look at or replay."""

    id: int
    kind: str
    integration_id: str | None
    payload: dict[str, Any]
    reason: str
    attempts: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, ISO timestamps."""
        data = asdict(self)
        data["created_at"] = _iso(self.created_at)
        return data


@dataclass(frozen=True)
class OAuthTokens:
    """An integration's OAuth tokens; `version` is what save_oauth_tokens compares against."""

    integration_id: str
    tokens: dict[str, Any] = field(repr=False)
    expires_at: datetime | None
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class BreakerState:
    """A circuit breaker as last saved."""

    name: str
    state: str = "closed"
    consecutive_failures: int = 0
    opened_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, ISO timestamps."""
        return {
            "name": self.name,
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "opened_at": _iso(self.opened_at),
            "updated_at": _iso(self.updated_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
