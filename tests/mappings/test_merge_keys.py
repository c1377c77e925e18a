"""Every shipped spec of every provider merges on the venue first: two venues whose accounts
hold the same provider ids never overwrite each other's rows, in staging, core and child tables."""

from __future__ import annotations

import pytest

from connectors.registry import PROVIDERS
from pipelines.specs import MappingCatalog


def _compiled() -> list[tuple[str, object]]:
    catalog = MappingCatalog()
    found: list[tuple[str, object]] = []
    for provider in sorted(PROVIDERS):
        for resource in catalog.mapped_resources(provider):
            for compiled in catalog.compiled_for(provider, resource, None):
                found.append((f"{compiled.dataset}.{compiled.table}", compiled))
                for child in compiled.children:
                    found.append((f"{child.dataset}.{child.table}", child))
    return found


COMPILED = _compiled()


def test_every_provider_ships_staging_tables_and_some_child_tables():
    tables = [name for name, _ in COMPILED]
    for provider in PROVIDERS:
        assert any(name.startswith(f"staging.{provider}_") for name in tables), provider
    assert any(getattr(c, "parent_table", None) for _, c in COMPILED)


@pytest.mark.parametrize(("table", "compiled"), COMPILED, ids=[name for name, _ in COMPILED])
def test_the_merge_key_starts_with_the_venue(table, compiled):
    key = compiled.primary_key
    parent = getattr(compiled, "parent_table", None)

    if compiled.write_disposition == "merge":
        expected = ["venue_id", "provider"] if table.startswith("core.") else ["venue_id"]
        assert key[: len(expected)] == expected, key
        assert len(key) > len(expected), f"{table} merges on the venue alone"
        assert compiled.column_hints["venue_id"].get("primary_key") is True
    if parent is not None:
        # a child row is one element of one parent's array: the parent's id or its own id
        assert {"parent_id", "id"} & set(key) or "position" in key, key
