"""QuickBooks Online: connector (`client`: query newest first, CDC deletions, per-realm budget;
`auth` and `tokens`: rotating refresh tokens saved before use), webhooks, and the local sandbox;
`PROVIDER` describes them."""

from __future__ import annotations

from connectors.base import Connector
from connectors.provider import ConnectorArgs, Credentials, Provider, SandboxKit, Webhooks
from connectors.quickbooks import fields, webhooks


def _sandbox() -> SandboxKit:
    from connectors.quickbooks.sandbox.app import SEEDABLE, build_sandbox

    return SandboxKit(tuple(SEEDABLE), build_sandbox)


def _connect(args: ConnectorArgs) -> Connector:
    from connectors.quickbooks.client import QuickBooksConnector
    from connectors.quickbooks.tokens import IntegrationTokenStore

    tokens = IntegrationTokenStore(args.store, args.integration_id, conflict=args.conflict)
    return QuickBooksConnector(args.credentials, args.base_url, token_store=tokens)


PROVIDER = Provider(
    name="quickbooks",
    credentials=Credentials(
        required_any=(("client_id",), ("client_secret",), ("refresh_token",), ("realm_id",)),
        optional=("webhook_verifier_token", "redirect_uri"),
        secret_keys=("client_secret", "refresh_token", "webhook_verifier_token"),
    ),
    connect=_connect,
    webhooks=Webhooks(verify=webhooks.verify_delivery, parse=webhooks.parse),
    fields=fields,
    sandbox=_sandbox,
    sync_kind="payments",
)
