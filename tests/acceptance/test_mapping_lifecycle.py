"""A data engineer's specs in a live warehouse, driven as they would: `intsync` processes against
the Stripe sandbox, on DuckDB and PostgreSQL.

A team folder is initialised and used; a path typo is refused at validate; a new column is
filled by the next sync; a type change shows in `plan`, and `remap` rebuilds the table with the
new type and converted values; an expression that cannot convert quarantines rows with reasons
and the integration syncs cleanly next time; a removed column is reported; a field the provider
starts sending is listed by `drift`; fixed records leave the open quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop
from warehouse.columns import dataset_columns
from warehouse.destinations import Warehouse

KEY = "sk_test_lifecycle_harbour"
VENUE = "venue-harbour-hall"
AMOUNT = "  amount: {path: amount, transform: minor_units, currency_path: currency}"


@pytest.fixture
def stripe_sandbox(cli: Cli) -> Iterator[Sandbox]:
    sandbox = start_sandbox("stripe", "--api-key", KEY, env=cli.env)
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


@pytest.fixture
def team(cli: Cli, tmp_path: Path, stripe_sandbox: Sandbox) -> Path:
    """A team folder from `mappings init`, named by INTSYNC_SPECS, and one Stripe integration."""
    folder = tmp_path / "team-specs"
    out = cli.run("mappings", "init", str(folder)).stdout
    assert "INTSYNC_SPECS" in out
    assert (folder / "stripe" / "charges.yaml").is_file()
    cli.env["INTSYNC_SPECS"] = str(folder)
    cli.add_integration(
        "tenant-northwind", VENUE, "stripe", stripe_sandbox.urls["stripe"], api_key=KEY
    )
    return folder


def charges_spec(team: Path) -> Path:
    return team / "stripe" / "charges.yaml"


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def warehouse(cli: Cli) -> Warehouse:
    return Warehouse(cli.env["INTSYNC_WAREHOUSE"])


def column_types(cli: Cli, table: str) -> dict[str, str]:
    return {c.name: c.type for c in dataset_columns(warehouse(cli), "staging")[table]}


def sync(cli: Cli, *args: str, check: bool = True) -> object:
    return cli.run("sync", "--venue", VENUE, "--resource", "charges", *args, check=check)


def test_a_spec_changes_safely_in_a_live_warehouse(
    cli: Cli, team: Path, stripe_sandbox: Sandbox
) -> None:
    spec = charges_spec(team)
    sync(cli)
    validated = cli.run("mappings", "validate").stdout
    assert "stripe_charges" in validated and str(team) in validated, validated

    # a path typo is refused before any sync, with where and a did-you-mean
    replace(spec, "  description: description\n", "  description: descripton\n")
    refused = cli.run("mappings", "validate", check=False)
    assert refused.returncode == 1
    assert f"{spec}:" in refused.stdout and "did you mean 'description'" in refused.stdout
    assert sync(cli, check=False).returncode != 0
    replace(spec, "  description: descripton\n", "  description: description\n")

    # a new column is filled by the next sync
    spec.write_text(spec.read_text() + "  receipt_address: receipt_url\n")
    planned = cli.run("mappings", "plan").stdout
    assert "+ receipt_address text" in planned, planned
    sync(cli, "--full-refresh")
    filled = warehouse(cli).query(
        "select count(*) from staging.stripe_charges where receipt_address is not null"
    )
    assert filled[0][0] > 0

    # a type change: planned, refused by sync, rebuilt by remap with converted values
    replace(spec, AMOUNT, "  amount: {path: amount, type: bigint}  #")
    planned = cli.run("mappings", "plan").stdout
    assert "~ amount decimal(18,2) -> bigint" in planned, planned
    assert sync(cli, check=False).returncode != 0
    dry = cli.run("remap", "--table", "stripe_charges", "--dry-run").stdout
    assert "dry run: nothing was written" in dry
    assert column_types(cli, "stripe_charges")["amount"] == "decimal(18,2)"
    before = warehouse(cli).query("select count(*) from staging.stripe_charges")
    cli.run("remap", "--table", "stripe_charges")
    assert column_types(cli, "stripe_charges")["amount"] == "bigint"
    after = dict(warehouse(cli).query("select id, amount from staging.stripe_charges"))
    assert len(after) == before[0][0]
    sent = warehouse(cli).query("select id, record::json->>'amount' from raw.stripe_charges")
    assert all(after[i] == int(amount) for i, amount in sent), "the provider's minor units"
    sync(cli)

    # an expression that cannot convert quarantines the records, with reasons
    replace(
        spec,
        "  amount: {path: amount, type: bigint}  #",
        """  amount: {expr: "concat('#', amount)", type: bigint}  #""",
    )
    cli.run("remap", "--table", "stripe_charges")
    groups = cli.json("quarantine", "--venue", VENUE)
    assert any("not a whole number" in json.dumps(g) for g in groups), groups
    sync(cli)  # the integration still syncs cleanly

    # the fix maps them again: they leave the open quarantine
    replace(
        spec,
        """  amount: {expr: "concat('#', amount)", type: bigint}  #""",
        "  amount: {path: amount, type: bigint}  #",
    )
    cli.run("remap", "--table", "stripe_charges")
    open_ = cli.json("quarantine", "--venue", VENUE, "--table", "stripe_charges")
    assert open_ in ([], {}) or "not a whole number" not in json.dumps(open_), open_

    # a removed column is reported, and kept until dropped on purpose
    replace(spec, "  receipt_address: receipt_url\n", "")
    planned = cli.run("mappings", "plan").stdout
    assert "- receipt_address text" in planned and "--drop-unmapped" in planned, planned

    # a field the provider starts sending is listed by drift, and noted by the sync that sees it
    stripe_sandbox.admin(
        "stripe",
        "mutate",
        {
            "action": "touch",
            "resource": "charges",
            "account": KEY,
            "count": 5,
            "fields": {"ticket_tier": "balcony"},
        },
    )
    synced = cli.json("sync", "--venue", VENUE, "--resource", "charges")
    assert "ticket_tier" in json.dumps(synced), synced
    drift = cli.run("mappings", "drift", "--table", "stripe_charges").stdout
    assert "ticket_tier" in drift and "balcony" in drift, drift
