"""Mailchimp: connector (`client`: offset pages, `since_*` cursors, 10 connections an
account), webhooks, and the local sandbox; `PROVIDER` describes them."""

from __future__ import annotations

from connectors.base import Connector
from connectors.mailchimp import fields, webhooks
from connectors.provider import ConnectorArgs, Credentials, Provider, Requires, SandboxKit, Webhooks


def _sandbox() -> SandboxKit:
    from connectors.mailchimp.sandbox.app import SEEDABLE, build_sandbox

    return SandboxKit(tuple(SEEDABLE), build_sandbox)


def _connect(args: ConnectorArgs) -> Connector:
    from connectors.mailchimp.client import MailchimpConnector

    return MailchimpConnector(args.credentials, args.base_url)


PROVIDER = Provider(
    name="mailchimp",
    credentials=Credentials(
        required_any=(("api_key", "access_token"),),
        optional=("server", "webhook_secret"),
        secret_keys=("api_key", "access_token", "webhook_secret"),
        requires=(Requires(when="access_token", needs="server", example="us6"),),
    ),
    connect=_connect,
    webhooks=Webhooks(webhooks.verify_delivery, webhooks.parse, check_url=webhooks.check_url),
    fields=fields,
    sandbox=_sandbox,
    sync_kind="contacts",
)
