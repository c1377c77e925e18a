"""The loaded specs, looked up the ways the pipelines ask: by provider resource, by table."""

from __future__ import annotations

from collections.abc import Iterator

from mappings.errors import UnknownSpecError
from mappings.model import Spec


class SpecSet:
    """Validated specs plus per-venue variants of the staging specs that venues override."""

    def __init__(self, specs: list[Spec], overrides: list[Spec] | None = None) -> None:
        self._specs = list(specs)
        self._overrides: dict[tuple[str, str, str, str], Spec] = {}
        for spec in overrides or []:
            assert spec.venue_id is not None
            self._overrides[(spec.venue_id, spec.provider, spec.resource, spec.table)] = spec

    def all(self) -> list[Spec]:
        """Every spec as shipped (no venue overrides applied)."""
        return list(self._specs)

    def __iter__(self) -> Iterator[Spec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def for_resource(self, provider: str, resource: str, venue_id: str | None = None) -> list[Spec]:
        """The staging spec(s) for a provider resource (with `venue_id`'s override applied when
        it has one), then every core spec that reads the same resource."""
        staging, core = [], []
        for spec in self._specs:
            if spec.provider != provider or spec.resource != resource:
                continue
            if spec.dataset == "core":
                core.append(spec)
                continue
            key = (venue_id or "", provider, resource, spec.table)
            staging.append(self._overrides.get(key, spec) if venue_id else spec)
        return staging + core

    def for_table(self, table: str) -> list[Spec]:
        """Specs writing `table` (`payments`, or qualified: `core.payments`); a child table
        name returns the spec that owns it."""
        dataset, _, name = table.rpartition(".")
        found = [
            spec
            for spec in self._specs
            if (not dataset or spec.dataset == dataset)
            and (spec.table == name or any(c.table == name for c in spec.children))
        ]
        return found

    def resources(self) -> list[tuple[str, str]]:
        """Every (provider, resource) some spec reads."""
        return sorted({(s.provider, s.resource) for s in self._specs})

    def overridden_venues(self, provider: str, resource: str) -> list[str]:
        """Venues that have their own variant of this resource's staging spec."""
        return sorted({v for v, p, r, _ in self._overrides if p == provider and r == resource})

    def venue_overrides(self) -> list[Spec]:
        """Every venue variant (for validation reports)."""
        return list(self._overrides.values())

    def get(self, provider: str, resource: str, table: str | None = None) -> Spec:
        """The one staging spec for a resource (or the named table); UnknownSpecError if none."""
        for spec in self._specs:
            same = (spec.provider, spec.resource) == (provider, resource)
            if spec.dataset == "staging" and same and table in (None, spec.table):
                return spec
        raise UnknownSpecError(
            f"no staging spec reads {provider} {resource}: add "
            f"mappings/specs/{provider}/{resource}.yaml"
        )
