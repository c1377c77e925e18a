"""The provider sandboxes that exist, and how to build one from command-line style options:
each provider's descriptor (`connectors.providers`) says what its sandbox seeds and builds."""

from __future__ import annotations

from connectors.provider import SandboxKit
from connectors.providers import PROVIDERS
from connectors.sandbox.app import SandboxApp
from connectors.sandbox.errors import SandboxUsageError
from connectors.sandbox.options import SandboxOptions


def available() -> list[str]:
    """Names of the providers that have a sandbox."""
    return sorted(PROVIDERS)


def seedable(provider: str) -> tuple[str, ...]:
    """Resource names whose counts `provider`'s sandbox takes."""
    return _kit(provider).seedable


def build(provider: str, options: SandboxOptions) -> SandboxApp:
    """A ready (seeded) sandbox app for `provider`."""
    kit = _kit(provider)
    unknown = sorted(set(options.counts) - set(kit.seedable))
    if unknown:
        raise SandboxUsageError(
            f"{provider} sandbox cannot seed {unknown[0]!r}: "
            f"expected one of {', '.join(kit.seedable)}"
        )
    return kit.build(options)


def _kit(provider: str) -> SandboxKit:
    if provider not in PROVIDERS:
        raise SandboxUsageError(
            f"no sandbox for provider {provider!r}: expected one of {', '.join(available())}"
        )
    return PROVIDERS[provider].sandbox()
