"""Connector errors, grouped by what the caller should do about them."""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Base of every connector error. `retriable` tells the orchestrator whether to try again."""

    retriable = False

    def __init__(self, message: str, *, status: int | None = None, provider: str | None = None):
        super().__init__(message)
        self.status = status
        self.provider = provider


class ConfigurationError(ConnectorError):
    """The integration is set up wrongly (missing credential, bad base URL): fix the settings."""


class AuthenticationError(ConnectorError):
    """The provider refused the credentials (401/403, revoked token): the venue must reconnect."""


class TokenRefusedError(AuthenticationError):
    """The provider refused the access token sent (expired or revoked early): a renewed token
    may pass; when none can be had, the venue must reconnect."""


class RefreshRefusedError(AuthenticationError):
    """The token endpoint refused the refresh token (invalid_grant): unless another writer has
    rotated it meanwhile, the venue must reconnect."""


class RetriableAPIError(ConnectorError):
    """A passing fault (5xx, timeout, connection reset): try again later."""

    retriable = True


class UnreachableError(RetriableAPIError):
    """No connection to the provider (refused, no route, name not resolved, connect timeout):
    retried only within a short budget (connectors.common.http.unreachable_budget), then the
    sync stops trying that account."""


class RateLimitedError(RetriableAPIError):
    """The provider said slow down; `retry_after` is its hint in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class FatalAPIError(ConnectorError):
    """The provider rejected the request itself (400, 404, unknown resource): retrying won't help."""


class SignatureError(ConnectorError):
    """A webhook's signature (or body) is missing, malformed, stale or wrong: answer 400, store nothing."""


class WebhookBodyError(SignatureError):
    """A genuine delivery whose body intsync cannot read (a field of the wrong type or out of
    range): answer 400 with the reason and store nothing; retrying the same body won't help."""
