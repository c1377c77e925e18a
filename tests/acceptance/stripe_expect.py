"""What the warehouse should hold for a Stripe sandbox account, computed from the sandbox's state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson

from mappings import compile_spec, load_specs
from tests.acceptance.conftest import Sandbox
from warehouse.destinations import Warehouse

IGNORED = {"_synced_at", "integration_id"}


def staging_specs() -> list[Any]:
    """Every shipped staging spec for Stripe."""
    return [s for s in load_specs().all() if s.provider == "stripe" and s.dataset == "staging"]


def expected_rows(
    sandbox: Sandbox, api_key: str, spec: Any, context: dict[str, Any]
) -> dict[str, dict]:
    """The spec applied to the sandbox's current objects: {id: row}."""
    objects = sandbox.admin("stripe", f"objects/{spec.resource}?account={api_key}")
    mapped = compile_spec(spec).map_page(objects, context)
    assert not mapped.quarantined, mapped.quarantined[:3]
    return {row["id"]: _normal(row) for row in mapped.table.to_pylist()}


def warehouse_rows(warehouse: Warehouse, table: str, venue: str) -> dict[str, dict]:
    """The staging rows of a venue: {id: row}; fails on a duplicate id."""
    names, rows = warehouse.columns(
        f"select * from staging.{table} where venue_id = '{venue}' and _deleted_at is null"
    )
    result: dict[str, dict] = {}
    for values in rows:
        row = _normal(dict(zip(names, values, strict=True)))
        assert row["id"] not in result, f"duplicate {row['id']} in {table}"
        result[row["id"]] = row
    return result


def assert_matches(expected: dict[str, dict], actual: dict[str, dict], table: str) -> None:
    """Same ids, and every mapped column equal, field by field."""
    assert set(actual) == set(expected), (
        f"{table}: missing {sorted(set(expected) - set(actual))[:5]}, "
        f"extra {sorted(set(actual) - set(expected))[:5]}"
    )
    for object_id, want in expected.items():
        got = actual[object_id]
        for column, value in want.items():
            if column in IGNORED or column.startswith("_dlt"):
                continue
            assert got.get(column) == value, (
                f"{table} {object_id}.{column}: {got.get(column)!r} != {value!r}"
            )


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in row.items()}


def _value(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Decimal):
        return value.normalize()
    return value
