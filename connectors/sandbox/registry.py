"""The provider sandboxes that exist, and how to build one from command-line style options.

A provider plugs in by naming a module here that defines `SEEDABLE` (the resource names its
seeding counts) and `build_sandbox(options: SandboxOptions) -> SandboxApp`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType

from connectors.sandbox.app import SandboxApp
from connectors.sandbox.errors import SandboxUsageError

SANDBOXES: dict[str, str] = {
    "stripe": "connectors.stripe.sandbox.app",
    "quickbooks": "connectors.quickbooks.sandbox.app",
    "mailchimp": "connectors.mailchimp.sandbox.app",
    "square": "connectors.square.sandbox.app",
}


@dataclass(frozen=True)
class SandboxOptions:
    """What a user can ask of any sandbox: accounts, seed, counts and time anchor."""

    seed: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    accounts: int = 1
    credentials: tuple[str, ...] = ()
    now: int | None = None
    # every account seeded alike: the same ids in each, as two real accounts can share
    # (venue isolation is tested with them)
    same_ids: bool = False

    def account_seed(self, index: int) -> int:
        """The seed of account `index` (from 0): `seed + index`, or `seed` with same_ids."""
        return self.seed if self.same_ids else self.seed + index


def available() -> list[str]:
    """Names of the providers that have a sandbox."""
    return sorted(SANDBOXES)


def seedable(provider: str) -> tuple[str, ...]:
    """Resource names whose counts `provider`'s sandbox takes."""
    return tuple(_module(provider).SEEDABLE)


def build(provider: str, options: SandboxOptions) -> SandboxApp:
    """A ready (seeded) sandbox app for `provider`."""
    module = _module(provider)
    unknown = sorted(set(options.counts) - set(module.SEEDABLE))
    if unknown:
        raise SandboxUsageError(
            f"{provider} sandbox cannot seed {unknown[0]!r}: "
            f"expected one of {', '.join(module.SEEDABLE)}"
        )
    return module.build_sandbox(options)


def _module(provider: str) -> ModuleType:
    if provider not in SANDBOXES:
        raise SandboxUsageError(
            f"no sandbox for provider {provider!r}: expected one of {', '.join(available())}"
        )
    return importlib.import_module(SANDBOXES[provider])
