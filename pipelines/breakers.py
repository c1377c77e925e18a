"""The circuit breakers around a sync run in this process: refused while open, counted after.

The flows count per resource task (flows/sync.py); a sync run here (`intsync sync`) counts once
per run: a failure when any resource failed on the provider's side, else a success when any
resource synced. The rule of which breaker counts what is `count_outcome`, shared by both.
"""

from __future__ import annotations

from typing import Any

from pipelines.context import is_provider_fault
from pipelines.sync import SyncContext, SyncResult, sync_integration
from warehouse.breakers import (
    BreakerOpenError,
    CircuitBreaker,
    integration_breaker,
    provider_breaker,
)

# Failures that say one account is wrong, not that the provider is failing for everyone.
_ACCOUNT_ONLY = frozenset({"AuthenticationError", "ConfigurationError"})


def breakers_of(store: Any, integration: Any) -> tuple[CircuitBreaker, CircuitBreaker]:
    """The provider's breaker and the integration's breaker."""
    return provider_breaker(store, integration.provider), integration_breaker(store, integration.id)


def count_outcome(
    breakers: tuple[CircuitBreaker, CircuitBreaker], ok: bool, error_class: str | None
) -> None:
    """Count one call: a success closes both breakers; a provider fault counts on the account's
    breaker, and on the provider's unless it was the account's credentials or settings."""
    provider, account = breakers
    if ok:
        provider.record_success()
        account.record_success()
    elif is_provider_fault(error_class):
        account.record_failure()
        if error_class not in _ACCOUNT_ONLY:
            provider.record_failure()


def guarded_sync(integration: Any, ctx: SyncContext, **options: Any) -> SyncResult:
    """`sync_integration` refused while a breaker is open (a failed result saying until when),
    and counted on the breakers once it ran."""
    breakers = breakers_of(ctx.store, integration)
    try:
        for breaker in breakers:
            breaker.check()
    except BreakerOpenError as exc:
        return SyncResult(
            integration.id,
            integration.tenant_id,
            integration.venue_id,
            integration.provider,
            run_id="-",
            status="failed",
            error=str(exc),
        )
    result = sync_integration(integration, ctx, **options)
    faults = [o.error_class for o in result.resources if o.status != "success"]
    fault = next((name for name in faults if is_provider_fault(name)), None)
    if fault is not None:
        count_outcome(breakers, False, fault)
    elif any(o.status == "success" for o in result.resources):
        count_outcome(breakers, True, None)
    return result
