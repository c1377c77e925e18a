"""What the runners make of a failed resource: retried or not, and which breakers it counts on."""

from __future__ import annotations

import pytest

from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalAPIError,
    RateLimitedError,
    RefreshRefusedError,
    RetriableAPIError,
    TokenRefusedError,
)
from pipelines.breakers import count_outcome
from pipelines.errors import AllQuarantinedError, Failure


class Breaker:
    """Counts what a circuit breaker is told."""

    def __init__(self) -> None:
        self.failures = 0
        self.successes = 0

    def record_failure(self) -> None:
        self.failures += 1

    def record_success(self) -> None:
        self.successes += 1


def _counted(error: Exception) -> tuple[int, int]:
    provider, account = Breaker(), Breaker()
    count_outcome((provider, account), False, Failure.of(error))  # type: ignore[arg-type]
    return provider.failures, account.failures


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("401", provider="quickbooks"),
        TokenRefusedError("token refused", provider="square"),
        RefreshRefusedError("refresh token refused", provider="quickbooks"),
        ConfigurationError("no api_key", provider="stripe"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_one_accounts_credentials_count_on_its_breaker_only(error: Exception) -> None:
    assert _counted(error) == (0, 1), "one revoked company must not open the provider's breaker"
    assert Failure.of(error).account_only and not Failure.of(error).retriable


@pytest.mark.parametrize(
    "error",
    [RetriableAPIError("503"), RateLimitedError("429"), FatalAPIError("400")],
    ids=lambda e: type(e).__name__,
)
def test_provider_faults_count_on_both_breakers(error: Exception) -> None:
    assert _counted(error) == (1, 1)


def test_our_own_failures_count_on_no_breaker() -> None:
    failure = Failure.of(AllQuarantinedError("every record quarantined"))
    assert _counted(AllQuarantinedError("every record quarantined")) == (0, 0)
    assert (failure.error_class, failure.retriable) == ("AllQuarantinedError", False)
    assert Failure.of(RetriableAPIError("503")).retriable
