"""The mapping specs a sync uses: loaded and validated once, compiled once per spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.registry import CATALOGUE
from mappings import compile_spec, load_specs


class MappingCatalog:
    """Compiled mappings by provider resource, with venue overrides applied."""

    def __init__(
        self,
        specs_dir: Path | None = None,
        overrides_dir: Path | None = None,
        hash_salt: str = "",
        team_dir: Path | None = None,
    ) -> None:
        """`team_dir`: a team's folder of specs (INTSYNC_SPECS) read over those of `specs_dir`
        (default: the shipped specs); see mappings.loader.collect."""
        self.spec_set = load_specs(specs_dir, overrides_dir, CATALOGUE, team_dir=team_dir)
        self.hash_salt = hash_salt
        self._compiled: dict[tuple[str, str, str | None], list[Any]] = {}

    def staging_for(self, provider: str, resource: str) -> bool:
        """Whether a staging spec maps this provider resource."""
        return any(
            _dataset(spec) == "staging" for spec in self.spec_set.for_resource(provider, resource)
        )

    def mapped_resources(self, provider: str) -> list[str]:
        """The provider's resources a staging spec maps (what a full sync reads), sorted."""
        return [
            resource
            for spec_provider, resource in self.spec_set.resources()
            if spec_provider == provider and self.staging_for(provider, resource)
        ]

    def compiled_for(self, provider: str, resource: str, venue_id: str | None) -> list[Any]:
        """Every compiled mapping (staging and core) that reads this resource for this venue."""
        key = (provider, resource, venue_id)
        if key not in self._compiled:
            specs = self.spec_set.for_resource(provider, resource, venue_id=venue_id)
            self._compiled[key] = [compile_spec(spec, hash_salt=self.hash_salt) for spec in specs]
        return self._compiled[key]

    def versions_for(self, provider: str, resource: str, venue_id: str | None) -> dict[str, str]:
        """The version (content hash) of each spec that maps this resource for this venue, by
        table: `{"staging.stripe_charges": "sha256:1a2b3c4d5e6f", "core.payments": ...}`."""
        return {
            f"{m.dataset}.{m.table}": m.spec.version
            for m in self.compiled_for(provider, resource, venue_id)
        }


def _dataset(spec: Any) -> str:
    return getattr(spec, "dataset", "staging")
