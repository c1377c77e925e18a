"""Finding a connector's resource by name, with the error every provider words the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from connectors.errors import ConfigurationError

T = TypeVar("T")


def resource_named(provider: str, resources: Mapping[str, T], name: str) -> T:
    """`resources[name]`, or a ConfigurationError that lists the resources there are."""
    found = resources.get(name)
    if found is None:
        raise ConfigurationError(
            f"{provider} has no resource {name!r}: choose from {', '.join(resources)}",
            provider=provider,
        )
    return found
