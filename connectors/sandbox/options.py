"""What a user can ask of any sandbox (`intsync sandbox PROVIDER --seed ... --accounts ...`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
