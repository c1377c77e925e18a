"""Stripe: connector (`client`), webhooks, and the local sandbox; `PROVIDER` describes them."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.base import Connector
from connectors.errors import ConfigurationError
from connectors.provider import ConnectorArgs, Credentials, Provider, SandboxKit, Webhooks
from connectors.stripe import fields, webhooks


def rate_per_second(credentials: Mapping[str, str]) -> float:
    """Stripe's read limit: 100/s in live mode, 25/s in test mode, unless the account says more."""
    if credentials.get("requests_per_second"):
        try:
            return float(credentials["requests_per_second"])
        except ValueError:
            raise ConfigurationError(
                f"requests_per_second={credentials['requests_per_second']!r} is not a number",
                provider="stripe",
            ) from None
    live = credentials.get("api_key", "").startswith(("sk_live_", "rk_live_"))
    return 100.0 if live else 25.0


def _sandbox() -> SandboxKit:
    from connectors.stripe.sandbox.app import SEEDABLE, build_sandbox

    return SandboxKit(tuple(SEEDABLE), build_sandbox)


def _connect(args: ConnectorArgs) -> Connector:
    from connectors.stripe.client import StripeConnector

    rate = args.rate_per_second or rate_per_second(args.credentials)
    return StripeConnector(args.credentials, args.base_url, rate_per_second=rate)


PROVIDER = Provider(
    name="stripe",
    credentials=Credentials(
        required_any=(("api_key",),),
        optional=("webhook_secret", "account_id", "requests_per_second"),
        secret_keys=("api_key", "webhook_secret"),
    ),
    connect=_connect,
    webhooks=Webhooks(webhooks.verify_delivery, webhooks.parse, webhooks.DEFAULT_TOLERANCE),
    fields=fields,
    sandbox=_sandbox,
    sync_kind="payments",
    rate_per_second=rate_per_second,
)
