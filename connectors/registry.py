"""Checks and catalogues over the providers' descriptors (`connectors.providers`): the
credential keys each one takes, and the resources and fields each one's connector reads."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from connectors.common.fields import Shape
from connectors.provider import ProviderFields
from connectors.providers import PROVIDERS


class CredentialError(ValueError):
    """Credentials that a provider does not take, or that are missing."""


def validate_credentials(provider: str, credentials: Mapping[str, str]) -> None:
    """Raise CredentialError naming the bad key and what the provider takes."""
    described = PROVIDERS.get(provider)
    if described is None:
        raise CredentialError(
            f"unknown provider {provider!r}: expected one of {', '.join(sorted(PROVIDERS))}"
        )
    info = described.credentials
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
    for rule in info.requires:
        if credentials.get(rule.when) and not credentials.get(rule.needs):
            raise CredentialError(
                f"{provider} with {rule.when} needs credential {rule.needs} (e.g. {rule.example})"
            )


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
    described = PROVIDERS.get(provider)
    return None if described is None else described.fields


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
