"""The quarantine worklist and field drift, driven through the CLI against the Stripe sandbox,
on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mappings import SPECS_DIR
from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop
from warehouse.destinations import Warehouse

KEY = "sk_test_accept_worklist"
BROKEN = "  currency_number: {path: currency, transform: to_int}\n"
OPEN = "select count(*) from ops.quarantine where resolved_at is null"


@pytest.fixture
def sandbox(cli: Cli):
    running = start_sandbox("stripe", "--api-key", KEY, "--count", "charges=40", env=cli.env)
    try:
        yield running
    finally:
        stop(running.process)


@pytest.fixture
def integration(cli: Cli, sandbox: Sandbox) -> str:
    return cli.add_integration("tenant-w", "venue-w", "stripe", sandbox.urls["stripe"], api_key=KEY)


def _team_charges(tmp_path: Path, cli: Cli, extra: str = "") -> None:
    """A team folder (INTSYNC_SPECS) whose stripe charges spec is the shipped one plus `extra`."""
    spec = tmp_path / "team" / "stripe" / "charges.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text((SPECS_DIR / "stripe" / "charges.yaml").read_text() + extra)
    cli.env["INTSYNC_SPECS"] = str(tmp_path / "team")


def test_all_quarantined_fails_the_sync_and_the_fix_empties_the_worklist(
    cli: Cli, integration: str, tmp_path: Path, warehouse_url: str
):
    cli.run("sync", "--resource", "customers")
    assert Warehouse(warehouse_url).query(OPEN) == [(0,)], "there before anything is quarantined"
    assert "nothing open in quarantine" in cli.run("quarantine").stdout

    _team_charges(tmp_path, cli, BROKEN)
    failed = cli.run("sync", "--resource", "charges", "--json", check=False)
    assert failed.returncode == 1
    result = json.loads(failed.stdout)
    assert result["status"] == "failed"
    assert "all 40 records of stripe charges were quarantined" in result["error"]
    assert "intsync quarantine --table stripe_charges" in result["error"]
    listed = cli.run("quarantine", "--table", "stripe_charges").stdout
    assert "40  venue-w stripe_charges.currency_number:" in listed
    records = cli.json("quarantine", "--records", "--limit", "5")
    assert len(records) == 5 and {r["field"] for r in records} == {"currency_number"}

    _team_charges(tmp_path, cli)
    cli.run("sync", "--resource", "charges")
    assert "nothing open in quarantine" in cli.run("quarantine").stdout
    assert Warehouse(warehouse_url).query(OPEN) == [(0,)]


def test_drift_lists_a_field_the_sandbox_starts_sending_and_one_sync_notes_it(
    cli: Cli, sandbox: Sandbox, integration: str
):
    cli.run("sync", "--resource", "charges")
    assert "shipping.phone" not in cli.run("mappings", "drift").stdout
    new = {"shipping": {"phone": "+1 555 0100"}}
    touch = {"action": "touch", "resource": "charges", "count": 2, "seed": 3, "fields": new}
    sandbox.admin("stripe", "mutate", {**touch, "account": KEY})

    cli.run("sync", "--resource", "charges")
    (noted,) = cli.json("logs", "--limit", "1")
    assert (
        "new field from stripe charges not mapped by any spec: shipping.phone "
        "(see intsync mappings drift)"
    ) in noted["details"]["notes"]
    drift = cli.run("mappings", "drift", "--table", "stripe_charges").stdout
    assert "stripe charges: shipping.phone  in 2 of 40 records (1 venue), e.g. +1 555 0100" in drift

    sandbox.admin("stripe", "mutate", {**touch, "seed": 4, "account": KEY})
    cli.run("sync", "--resource", "charges")
    (later,) = cli.json("logs", "--limit", "1")
    assert not [n for n in later["details"]["notes"] if "shipping" in n], "noted once"
