"""Stripe over the official SDK's transport: what Stripe adds to the common request loop.

The SDK's client supplies auth, API version, `Stripe-Account` and pooled connections; the body
is parsed once with orjson (the SDK's `raw_request` would also parse it with `json.loads` into
OrderedDicts, which costs more than the whole orjson parse).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import stripe

from connectors.common.http import CONNECT_TIMEOUT_SECONDS, Answer, checked_base_url
from connectors.common.rate import budget_for, fingerprint
from connectors.common.retry import RetryPolicy
from connectors.common.transport import Request, Transport
from connectors.errors import ConfigurationError, ConnectorError, FatalAPIError, RateLimitedError
from connectors.stripe import sdklog

sdklog.install()

RECONNECT = "reconnect the Stripe account (the API key was refused or revoked)"
_KEY_PATTERN = re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9*]+")


def budget_key(api_key: str, account: str | None) -> str:
    """`stripe:<connect account>`, else `stripe:key-<hash of the key>`: never the key itself."""
    return "stripe:" + (account or "key-" + fingerprint(api_key))


class StripeTransport(Transport, provider="stripe", reconnect=RECONNECT):
    """GETs against one Stripe account, rate-budgeted and retried, returning parsed bodies."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None,
        *,
        max_network_retries: int,
        rate_per_second: float,
        retry_policy: RetryPolicy | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        api_key = credentials.get("api_key")
        if not api_key:
            raise ConfigurationError(
                "stripe needs credential api_key (sk_... or rk_...): --credential api_key=...",
                provider="stripe",
            )
        self._api_key = api_key
        self.base_url = checked_base_url("stripe", base_url) or stripe.DEFAULT_API_BASE
        account = credentials.get("account_id") or None
        self._client = stripe.StripeClient(
            api_key,
            stripe_account=account,
            base_addresses={"api": self.base_url},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT_SECONDS, 60)),
        )
        # The SDK retries connection errors, 409 and 5xx when max_network_retries > 0, never 429.
        # Each fault is retried by one layer only: by ours by default (so every attempt spends a
        # rate token and backs off with full jitter); with SDK retries on, ours takes only 429s.
        policy = retry_policy or (
            RetryPolicy(retry_on=(RateLimitedError,)) if max_network_retries else RetryPolicy()
        )
        budget = budget_for(budget_key(api_key, account), rate_per_second=rate_per_second)
        super().__init__(budget, policy, sleep=sleep)

    def get(self, path: str, params: dict[str, Any], *, what: str) -> dict[str, Any]:
        """The parsed body of `GET path?params`; `what` names the resource in error messages."""
        return self.request(Request("GET", path, params), what=what)

    def list_page(
        self, path: str, params: dict[str, Any], *, what: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One list page: its `data`, and the `starting_after` of the next page (None at the end)."""
        body = self.get(path, params, what=what)
        data = body.get("data")
        if not isinstance(data, list):
            raise FatalAPIError(
                f"stripe {what}: the list response has no data array", provider="stripe"
            )
        next_cursor = data[-1]["id"] if body.get("has_more") and data else None
        return data, next_cursor

    def close(self) -> None:
        """Release this thread's pooled connection."""
        client = self._client._requestor._client
        if client is not None:
            client.close()

    def send(self, request: Request, token: str | None, what: str) -> Answer:
        """One request through the SDK's requestor (its auth, version and account headers)."""
        try:
            body, status, headers = self._client._requestor.request_raw(
                request.method.lower(),
                request.path,
                params=request.params,
                base_address="api",
                api_mode="V1",
                usage=["intsync"],
            )
        except stripe.APIConnectionError as exc:
            cause = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
            raise self.no_answer(
                what, self.base_url, exc, cause=cause, retriable=exc.should_retry
            ) from None
        except stripe.StripeError as exc:
            raise FatalAPIError(f"stripe {what}: {exc}", provider="stripe") from None
        return Answer(status, body if isinstance(body, bytes) else str(body).encode(), headers)

    def error(self, answer: Answer, what: str) -> ConnectorError:
        """Stripe's `error.message` (else code or type), and why a 429 was rate limited."""
        try:
            error = orjson.loads(answer.body).get("error") or {}
            detail = error.get("message") or error.get("code") or error.get("type") or ""
        except (orjson.JSONDecodeError, AttributeError):
            detail = answer.body[:200].decode("utf-8", "replace")
        reason = answer.headers.get("Stripe-Rate-Limited-Reason") or ""
        return self.failed(answer, what, detail=str(detail), note=reason)

    def clean(self, text: str) -> str:
        """`text` without the API key, masked or not."""
        return _KEY_PATTERN.sub("<api key>", text.replace(self._api_key, "<api key>"))
