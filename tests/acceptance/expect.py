"""What the warehouse should hold for a sandbox account, for any provider: every shipped spec
(staging and core, child tables included) applied to the sandbox's current objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mappings import compile_spec, load_specs
from tests.acceptance.conftest import Sandbox
from tests.acceptance.stripe_expect import IGNORED, _normal
from warehouse.destinations import Warehouse


def specs_of(provider: str) -> list[Any]:
    """Every shipped spec (staging and core) of `provider`."""
    return [s for s in load_specs().all() if s.provider == provider]


def context_for(provider: str, tenant: str, venue: str) -> dict[str, Any]:
    """The sync context a spec is mapped with (integration_id and _synced_at are not compared)."""
    return {
        "tenant_id": tenant,
        "venue_id": venue,
        "integration_id": "any",
        "provider": provider,
        "synced_at": dt.datetime.now(dt.UTC),
    }


def expected_tables(
    sandbox: Sandbox, provider: str, account: str, spec: Any, context: dict[str, Any]
) -> dict[str, dict[str, dict]]:
    """{table: {row key: row}} for the spec's table and its child tables."""
    objects = sandbox.admin(provider, f"objects/{spec.resource}?account={account}")
    mapped = compile_spec(spec).map_page(objects, context)
    assert not mapped.quarantined, mapped.quarantined[:3]
    out = {spec.table: {row["id"]: _normal(row) for row in mapped.table.to_pylist()}}
    for table, rows in mapped.children.items():
        out[table] = {_child_key(row): _normal(row) for row in rows.to_pylist()}
    return out


def warehouse_tables(
    warehouse: Warehouse, spec: Any, venue: str, provider: str
) -> dict[str, dict[str, dict]]:
    """The live (not deleted) rows of the spec's tables for one venue, keyed as expected_tables."""
    out = {spec.table: _rows(warehouse, spec.dataset, spec.table, venue, provider, _id_key)}
    for child in spec.children:
        out[child.table] = _rows(warehouse, spec.dataset, child.table, venue, provider, _child_key)
    return out


def assert_tables_match(expected: dict[str, dict], actual: dict[str, dict], label: str) -> None:
    """Same keys, and every mapped column equal, field by field."""
    for table, want_rows in expected.items():
        got_rows = actual[table]
        assert set(got_rows) == set(want_rows), (
            f"{label} {table}: missing {sorted(set(want_rows) - set(got_rows))[:5]}, "
            f"extra {sorted(set(got_rows) - set(want_rows))[:5]}"
        )
        for key, want in want_rows.items():
            got = got_rows[key]
            for column, value in want.items():
                if column in IGNORED or column.startswith("_dlt"):
                    continue
                assert got.get(column) == value, (
                    f"{label} {table} {key}.{column}: {got.get(column)!r} != {value!r}"
                )


def _rows(
    warehouse: Warehouse, dataset: str, table: str, venue: str, provider: str, key: Any
) -> dict[str, dict]:
    where = f"venue_id = '{venue}' and _deleted_at is null"
    if dataset == "core":
        where += f" and provider = '{provider}'"
    names, rows = warehouse.columns(f"select * from {dataset}.{table} where {where}")
    result: dict[str, dict] = {}
    for values in rows:
        row = _normal(dict(zip(names, values, strict=True)))
        assert key(row) not in result, f"duplicate {key(row)} in {dataset}.{table}"
        result[key(row)] = row
    return result


def _id_key(row: dict[str, Any]) -> str:
    return row["id"]


def _child_key(row: dict[str, Any]) -> str:
    return f"{row['parent_id']}#{row['position']}"
