"""The providers intsync knows, the credential keys each one takes, and the resources and
fields each one's connector reads."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast
from urllib.parse import urlsplit

from connectors.common.fields import Shape


@dataclass(frozen=True)
class ProviderInfo:
    """A provider's credential keys: each tuple in `required_any` lists alternatives, one must be set."""

    name: str
    required_any: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...] = ()
    secret_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> set[str]:
        return {k for group in self.required_any for k in group} | set(self.optional)


PROVIDERS: dict[str, ProviderInfo] = {
    "stripe": ProviderInfo(
        "stripe",
        required_any=(("api_key",),),
        optional=("webhook_secret", "account_id", "requests_per_second"),
        secret_keys=("api_key", "webhook_secret"),
    ),
    "square": ProviderInfo(
        "square",
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
    "mailchimp": ProviderInfo(
        "mailchimp",
        required_any=(("api_key", "access_token"),),
        optional=("server", "webhook_secret"),
        secret_keys=("api_key", "access_token", "webhook_secret"),
    ),
    "quickbooks": ProviderInfo(
        "quickbooks",
        required_any=(("client_id",), ("client_secret",), ("refresh_token",), ("realm_id",)),
        optional=("webhook_verifier_token", "redirect_uri"),
        secret_keys=("client_secret", "refresh_token", "webhook_verifier_token"),
    ),
}


class CredentialError(ValueError):
    """Credentials that a provider does not take, or that are missing."""


def validate_credentials(provider: str, credentials: Mapping[str, str]) -> None:
    """Raise CredentialError naming the bad key and what the provider takes."""
    info = PROVIDERS.get(provider)
    if info is None:
        raise CredentialError(
            f"unknown provider {provider!r}: expected one of {', '.join(sorted(PROVIDERS))}"
        )
    unknown = sorted(set(credentials) - info.keys)
    if unknown:
        raise CredentialError(
            f"{provider} does not take credential {unknown[0]!r}: "
            f"it takes {', '.join(sorted(info.keys))}"
        )
    for group in info.required_any:
        if not any(credentials.get(key) for key in group):
            wanted = " or ".join(group)
            raise CredentialError(
                f"{provider} needs credential {wanted} (--credential {group[0]}=...)"
            )
    if (
        provider == "mailchimp"
        and credentials.get("access_token")
        and not credentials.get("server")
    ):
        raise CredentialError("mailchimp with access_token needs credential server (e.g. us6)")


# Secrets shorter than this are masked whole: a few shown characters would be a fair part of one.
MASK_WHOLE_BELOW = 32


def mask(value: str) -> str:
    """Show the shape of a secret, never the secret: `sk_...a1b2` for long values (at most
    7 characters of 32 or more), `****` for shorter ones."""
    if len(value) < MASK_WHOLE_BELOW:
        return "****"
    return f"{value[:3]}...{value[-4:]}"


def validate_base_url(url: str) -> str:
    """An http(s) URL with a host and no user, query or fragment; returned without a trailing /."""
    shown = "<hidden>" if "@" in url else url  # a user:password part is a secret
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError as exc:
        raise CredentialError(f"base URL {shown!r} is not a URL ({exc})") from None
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = "it must start with http:// or https://"
    elif not parts.hostname:
        problem = "it has no host"
    elif parts.username or parts.password:
        problem = "it must not carry a user or password: pass secrets as --credential"
    elif parts.query or parts.fragment:
        problem = "it must not have a query string or fragment"
    if problem:
        raise CredentialError(
            f"base URL {shown!r} is not valid: {problem} (e.g. http://127.0.0.1:8111)"
        )
    return url.strip().rstrip("/")


class ProviderFields(Protocol):
    """`connectors/<provider>/fields.py`: what the provider's connector reads."""

    READS: tuple[str, ...]

    def resource_fields(self, resource: str) -> Shape | None: ...


def connector_resources(provider: str) -> tuple[str, ...]:
    """The resources `provider`'s connector reads (none for a provider intsync does not know)."""
    fields = _fields_of(provider)
    return () if fields is None else fields.READS


def field_catalogue(provider: str, resource: str) -> Shape | None:
    """The fields of `provider`'s `resource` records, nested (see connectors/common/fields.py);
    None when the connector does not read that resource. Built when first asked for, cached."""
    fields = _fields_of(provider)
    return None if fields is None else fields.resource_fields(resource)


def _fields_of(provider: str) -> ProviderFields | None:
    if provider not in PROVIDERS:
        return None
    return cast(ProviderFields, importlib.import_module(f"connectors.{provider}.fields"))


class ConnectorCatalogue:
    """The connectors' field catalogue in the form spec validation takes (mappings.Catalogue):
    every intsync entry point that loads specs passes `CATALOGUE`."""

    providers = tuple(PROVIDERS)

    def resources(self, provider: str) -> tuple[str, ...]:
        """The resources `provider`'s connector reads."""
        return connector_resources(provider)

    def fields(self, provider: str, resource: str) -> Shape | None:
        """The fields of `provider`'s `resource` records."""
        return field_catalogue(provider, resource)


CATALOGUE = ConnectorCatalogue()
