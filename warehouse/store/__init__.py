"""The operational store (integrations, sync logs, webhook inbox, dead letters, ...)."""

from __future__ import annotations

from warehouse.errors import (
    ConcurrentUpdateError,
    MigrationError,
    NotFoundError,
    SecretKeyMismatchError,
    StoreError,
)
from warehouse.store.models import (
    BreakerState,
    DeadLetter,
    InboxEvent,
    Integration,
    OAuthTokens,
    SyncLog,
)
from warehouse.store.store import Store, open_store

__all__ = [
    "BreakerState",
    "ConcurrentUpdateError",
    "DeadLetter",
    "InboxEvent",
    "Integration",
    "MigrationError",
    "NotFoundError",
    "OAuthTokens",
    "SecretKeyMismatchError",
    "Store",
    "StoreError",
    "SyncLog",
    "open_store",
]
