"""Two venues whose provider accounts hold the same ids never mix, for every provider and on
both warehouses: each sandbox serves two accounts seeded alike (`--same-ids`), so every object
id of one venue is also an id of the other. A merge that left the venue out of its key would
let the second venue's sync overwrite the first's rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop
from warehouse.destinations import Warehouse

VENUES = (("tenant-a", "venue-a"), ("tenant-b", "venue-b"))
KEYS = {
    "stripe": ("sk_test_same_ids_a", "sk_test_same_ids_b"),
    "square": ("EAAAsame_ids_a", "EAAAsame_ids_b"),
    "mailchimp": ("sameidsa0000000000000000000000-us6", "sameidsb0000000000000000000000-us6"),
    "quickbooks": ("9130356000000001", "9130356000000002"),
}
CREDENTIAL = {"stripe": "api_key", "square": "access_token", "mailchimp": "api_key"}


@pytest.fixture(params=sorted(KEYS))
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox(cli: Cli, provider: str) -> Iterator[Sandbox]:
    a, b = KEYS[provider]
    started = start_sandbox(provider, "--api-key", a, "--api-key", b, "--same-ids", env=cli.env)
    try:
        yield started
    finally:
        stop(started.process)


def _connect(cli: Cli, sandbox: Sandbox, provider: str) -> None:
    url = sandbox.urls[provider]
    if provider != "quickbooks":
        for key, (tenant, venue) in zip(KEYS[provider], VENUES, strict=True):
            cli.add_integration(tenant, venue, provider, url, **{CREDENTIAL[provider]: key})
        return
    items = sandbox.admin("quickbooks", "info")["credentials"]
    client = dict(item.split("=", 1) for item in items[:2])
    realms = [dict(part.split("=", 1) for part in item.split()) for item in items[2:]]
    for realm, (tenant, venue) in zip(realms, VENUES, strict=True):
        cli.add_integration(tenant, venue, provider, url, **client, **realm)


def _tables(warehouse: Warehouse, dataset: str, prefix: str) -> list[str]:
    found = warehouse.query(  # names of ours only: literals work on DuckDB and PostgreSQL
        "select table_name from information_schema.tables "
        f"where table_schema = '{dataset}' "
        f"and left(table_name, {len(prefix)}) = '{prefix}' order by 1"
    )
    return [name for (name,) in found if not name.startswith("_dlt")]


def _columns(warehouse: Warehouse, dataset: str, table: str) -> set[str]:
    found = warehouse.query(
        "select column_name from information_schema.columns "
        f"where table_schema = '{dataset}' and table_name = '{table}'"
    )
    return {name for (name,) in found}


@pytest.mark.slow
def test_two_venues_with_colliding_ids_keep_their_own_rows(cli: Cli, sandbox: Sandbox, provider):
    _connect(cli, sandbox, provider)

    results = cli.json("sync")
    again = cli.json("sync", "--full-refresh")

    assert [r["status"] for r in results + again] == ["success"] * 4, results + again
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    staging = _tables(warehouse, "staging", f"{provider}_")
    assert staging
    colliding = 0
    for table in staging:
        where = f"staging.{table}"
        counts = dict(warehouse.query(f"select venue_id, count(*) from {where} group by 1"))
        assert counts.get("venue-a", 0) == counts.get("venue-b", 0), (table, counts)
        strays = warehouse.query(
            f"select count(*) from {where} where (venue_id = 'venue-a' and tenant_id <> "
            "'tenant-a') or (venue_id = 'venue-b' and tenant_id <> 'tenant-b')"
        )
        assert strays == [(0,)], f"{table}: a row of one venue carries the other's tenant"
        if "id" in _columns(warehouse, "staging", table) and counts:
            shared = warehouse.query(
                f"select count(*) from (select id from {where} where venue_id = 'venue-a' "
                f"intersect select id from {where} where venue_id = 'venue-b') both_venues"
            )
            assert shared == [(counts["venue-a"],)], f"{table}: the ids should all collide"
            colliding += counts["venue-a"]
    assert colliding > 0, "the two accounts should share ids"
    for table in _tables(warehouse, "core", ""):
        counts = dict(
            warehouse.query(
                f"select venue_id, count(*) from core.{table} where provider = '{provider}' "
                "group by 1"
            )
        )
        assert counts.get("venue-a", 0) == counts.get("venue-b", 0), (table, counts)
