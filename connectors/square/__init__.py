"""Square: connector (`client`, `streams`; `oauth`: refreshed access tokens), webhooks, and the
local sandbox; `PROVIDER` describes them."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.base import Connector
from connectors.provider import ConnectorArgs, Credentials, Provider, SandboxKit, Webhooks
from connectors.square import fields, webhooks

# Square publishes no limits: 20 requests/s per merchant stays clear of its 429s.
REQUESTS_PER_SECOND = 20.0


def rate_per_second(credentials: Mapping[str, str]) -> float:
    """Square's read budget per merchant, whatever the credentials."""
    return REQUESTS_PER_SECOND


def _sandbox() -> SandboxKit:
    from connectors.square.sandbox.app import SEEDABLE, build_sandbox

    return SandboxKit(tuple(SEEDABLE), build_sandbox)


def _connect(args: ConnectorArgs) -> Connector:
    from connectors.square.client import SquareConnector
    from connectors.square.oauth import StoreTokens

    return SquareConnector(
        args.credentials,
        args.base_url,
        token_store=StoreTokens(args.store, args.integration_id, conflict=args.conflict),
        rate_per_second=args.rate_per_second or REQUESTS_PER_SECOND,
    )


PROVIDER = Provider(
    name="square",
    credentials=Credentials(
        required_any=(("access_token",),),
        optional=(
            "webhook_signature_key",
            "webhook_url",
            "refresh_token",
            "client_id",
            "client_secret",
            "expires_at",
        ),
        secret_keys=("access_token", "webhook_signature_key", "refresh_token", "client_secret"),
    ),
    connect=_connect,
    webhooks=Webhooks(verify=webhooks.verify_delivery, parse=webhooks.parse),
    fields=fields,
    sandbox=_sandbox,
    sync_kind="payments",
    rate_per_second=rate_per_second,
)
