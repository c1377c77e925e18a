"""Concurrency per provider account, held by every worker: one Prefect global concurrency limit per
account (`account:quickbooks:<realm>`), one slot per running extract-and-load.

Sizes follow the providers' own limits (docs/operations.md): QuickBooks 10 concurrent requests per
realm, Mailchimp 10 connections per account; Stripe and Square publish rates, not connection caps,
so they get a bound that keeps one account from taking every worker. INTSYNC_ACCOUNT_LIMITS
(`stripe=4,quickbooks=10`) overrides them. Without a Prefect server (tests, `intsync sync`) the
same limits are held in-process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)

PROVIDER_LIMITS: dict[str, int] = {"quickbooks": 10, "mailchimp": 10, "stripe": 8, "square": 8}
FALLBACK_LIMIT = 4
# A slot whose holder died is given back after this many seconds without a lease renewal.
LEASE_SECONDS = 300.0

_local: dict[str, threading.BoundedSemaphore] = {}
_known: set[str] = set()
_lock = threading.Lock()


def account_key(integration: Integration) -> str:
    """`<provider>:<account>`, naming the provider account and never a secret."""
    creds = integration.credentials or {}
    provider = integration.provider
    if provider == "quickbooks" and creds.get("realm_id"):
        return f"quickbooks:{creds['realm_id']}"
    if provider == "stripe" and creds.get("account_id"):
        return f"stripe:{creds['account_id']}"
    secret = next(
        (creds[k] for k in ("api_key", "access_token", "refresh_token") if creds.get(k)), None
    )
    if secret is None:
        return f"{provider}:integration-{integration.id}"
    return f"{provider}:key-{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


def limit_name(integration: Integration) -> str:
    """The global concurrency limit of the integration's provider account."""
    return "account:" + account_key(integration)


def account_limit(provider: str) -> int:
    """Concurrent extract-and-loads allowed per account of `provider`."""
    raw = os.environ.get("INTSYNC_ACCOUNT_LIMITS", "")
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, value = item.partition("=")
        if name.strip() == provider:
            try:
                return max(1, int(value))
            except ValueError:
                raise ValueError(
                    f"INTSYNC_ACCOUNT_LIMITS item {item!r}: expected provider=whole number"
                ) from None
    return PROVIDER_LIMITS.get(provider, FALLBACK_LIMIT)


def prefect_server_configured() -> bool:
    """Whether a Prefect API is configured (else limits are held in-process)."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def ensure_limit(name: str, limit: int) -> None:
    """Create the global concurrency limit `name` unless it exists (an existing size stands)."""
    if name in _known:
        return
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=limit)
                )
    _known.add(name)


@contextmanager
def account_slot(integration: Integration) -> Iterator[str]:
    """Hold one slot of the integration's account limit (waiting while the account is full)."""
    name = limit_name(integration)
    size = account_limit(integration.provider)
    if prefect_server_configured():
        from prefect.concurrency.sync import concurrency

        ensure_limit(name, size)
        with concurrency(name, occupy=1, lease_duration=LEASE_SECONDS, strict=True):
            yield name
        return
    with _lock:
        semaphore = _local.setdefault(name, threading.BoundedSemaphore(size))
    with semaphore:
        yield name
