"""A provider's descriptor: what every other layer needs to know of one provider, in one value.

Each `connectors/<provider>/__init__.py` exports one as `PROVIDER`; `connectors.providers`
lists them, and the credential checks, the connector factory, the webhook routes, the webhook
inbox and the sandbox command all read them. A descriptor states what a provider has; nothing
is found by name or by signature. Clients and sandboxes are imported when first asked for: a
descriptor is cheap to import (the web service reads them and never calls a provider).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from connectors.common.webhooks import WebhookEvent

if TYPE_CHECKING:
    from connectors.base import Connector
    from connectors.common.fields import Shape
    from connectors.common.tokenstore import Conflict, OAuthRows
    from connectors.sandbox.app import SandboxApp
    from connectors.sandbox.options import SandboxOptions

# Verified events, each with the body the inbox stores for it.
Events = list[tuple[WebhookEvent, bytes]]


@dataclass(frozen=True)
class Requires:
    """A credential that comes with another one: `when` set needs `needs` set too."""

    when: str
    needs: str
    example: str


@dataclass(frozen=True)
class Credentials:
    """A provider's credential keys: each tuple in `required_any` lists alternatives, one must
    be set; `secret_keys` are masked wherever credentials are shown."""

    required_any: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...] = ()
    secret_keys: tuple[str, ...] = ()
    requires: tuple[Requires, ...] = ()

    @property
    def keys(self) -> set[str]:
        """Every key the provider takes."""
        return {k for group in self.required_any for k in group} | set(self.optional)


@dataclass(frozen=True)
class ConnectorArgs:
    """What building one integration's connector takes."""

    credentials: Mapping[str, str]
    base_url: str | None
    # the operational store, where refreshed OAuth tokens are kept
    store: OAuthRows
    integration_id: str
    # what `store` raises when a token save loses its compare-and-swap
    conflict: Conflict
    # the descriptor's rate policy for these credentials (None: the connector's own)
    rate_per_second: float | None = None


class RequestHeaders(Protocol):
    """A request's headers: a name looked up in any case (werkzeug's Headers) or as given."""

    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class Delivery:
    """What a webhook request brought: body, headers, query, and its URL."""

    body: bytes
    headers: RequestHeaders
    args: Mapping[str, str]
    url: str


@dataclass(frozen=True)
class Webhooks:
    """A provider's webhook scheme.

    `verify` checks a delivery with the integration's credentials and splits it into events
    (SignatureError when it is not genuine), each with a body of its own; `parse` turns such a
    stored body back into its event; `tolerance` is how many seconds a signed timestamp may be off (None: the
    provider signs none); `check_url` answers a URL validation GET (None: the provider sends
    none) with the integration's credentials and the request's query."""

    verify: Callable[[Mapping[str, str], Delivery, int | None], Events]
    parse: Callable[[bytes], WebhookEvent]
    tolerance: int | None = None
    check_url: Callable[[Mapping[str, str], Mapping[str, str]], None] | None = None


class ProviderFields(Protocol):
    """`connectors/<provider>/fields.py`: what the provider's connector reads."""

    READS: tuple[str, ...]

    def resource_fields(self, resource: str) -> Shape | None: ...


@dataclass(frozen=True)
class SandboxKit:
    """A provider's sandbox: the resources its seeding counts, and how to build a seeded one."""

    seedable: tuple[str, ...]
    build: Callable[[SandboxOptions], SandboxApp]


@dataclass(frozen=True)
class Provider:
    """One provider, as every layer sees it.

    `connect` builds a connector; `fields` is the connector's field catalogue; `sandbox` loads
    the local emulator when first asked for; `sync_kind` is what the provider syncs in the
    terms of the services' `sync:*` permissions; `rate_per_second` is the read budget for an
    account's credentials (None, or a policy answering None: the connector's own)."""

    name: str
    credentials: Credentials
    connect: Callable[[ConnectorArgs], Connector]
    webhooks: Webhooks
    fields: ProviderFields
    sandbox: Callable[[], SandboxKit]
    sync_kind: Literal["payments", "contacts"]
    rate_per_second: Callable[[Mapping[str, str]], float | None] | None = None

    def rate_for(self, credentials: Mapping[str, str]) -> float | None:
        """The read budget for these credentials, None when the connector keeps its own."""
        return None if self.rate_per_second is None else self.rate_per_second(credentials)
