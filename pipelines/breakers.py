"""The circuit breakers around a sync run in this process: refused while open, counted after.

The flows count per resource task (flows/sync.py); a sync run here (`intsync sync`) counts once
per run: a failure when any resource failed on the provider's side, else a success when any
resource synced. The rule of which breaker counts what is `count_outcome`, shared by both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pipelines.errors import Failure
from pipelines.runs import SyncContext, SyncResult
from pipelines.sync import sync_batch
from warehouse.breakers import (
    BreakerOpenError,
    CircuitBreaker,
    integration_breaker,
    provider_breaker,
)

if TYPE_CHECKING:
    from warehouse.store import Integration, Store


def breakers_of(store: Store, integration: Integration) -> tuple[CircuitBreaker, CircuitBreaker]:
    """The provider's breaker and the integration's breaker."""
    return provider_breaker(store, integration.provider), integration_breaker(store, integration.id)


def count_outcome(
    breakers: tuple[CircuitBreaker, CircuitBreaker], ok: bool, failure: Failure | None
) -> None:
    """Count one call: a success closes both breakers; a provider fault counts on the account's
    breaker, and on the provider's unless it was the account's credentials or settings."""
    provider, account = breakers
    if ok:
        provider.record_success()
        account.record_success()
    elif failure is not None and failure.provider_fault:
        account.record_failure()
        if not failure.account_only:
            provider.record_failure()


def guarded_sync(integration: Integration, ctx: SyncContext, **options: Any) -> SyncResult:
    """`sync_integration` refused while a breaker is open (a failed result saying until when),
    and counted on the breakers once it ran."""
    (result,) = guarded_batch([integration], ctx, **options)
    return result


def guarded_batch(
    integrations: Sequence[Integration],
    ctx: SyncContext,
    *,
    on_result: Callable[[SyncResult], None] | None = None,
    **options: Any,
) -> list[SyncResult]:
    """`sync_batch` of the integrations whose breakers are closed; the others get a failed
    result saying until when. Each run is counted on its breakers as it ends. Results in the
    order given."""
    refused: dict[str, SyncResult] = {}
    allowed: list[Any] = []  # None where a breaker refused
    for integration in integrations:
        try:
            for breaker in breakers_of(ctx.store, integration):
                breaker.check()
        except BreakerOpenError as exc:
            refused[integration.id] = SyncResult(
                integration.id,
                integration.tenant_id,
                integration.venue_id,
                integration.provider,
                run_id="-",
                status="failed",
                error=str(exc),
            )
            allowed.append(None)
            if on_result is not None:
                on_result(refused[integration.id])
            continue
        allowed.append(integration)

    by_id = {i.id: i for i in integrations}

    def counted(result: SyncResult) -> None:
        _count(breakers_of(ctx.store, by_id[result.integration_id]), result)
        if on_result is not None:
            on_result(result)

    results = iter(
        sync_batch([i for i in allowed if i is not None], ctx, on_result=counted, **options)
    )
    ordered = []
    for integration, admitted in zip(integrations, allowed, strict=True):
        if admitted is None:
            ordered.append(refused[integration.id])
        else:
            ordered.append(next(results))
    return ordered


def _count(breakers: tuple[CircuitBreaker, CircuitBreaker], result: SyncResult) -> None:
    faults = [o.failure for o in result.resources if o.status != "success"]
    fault = next((f for f in faults if f is not None and f.provider_fault), None)
    if fault is not None:
        count_outcome(breakers, False, fault)
    elif any(o.status == "success" for o in result.resources):
        count_outcome(breakers, True, None)
