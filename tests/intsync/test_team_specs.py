"""A team's own specs, as a data engineer uses them: `intsync mappings init DIR`, an edit, then
`validate`, `sync` and `logs` with INTSYNC_SPECS=DIR (processes against the Stripe sandbox)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from intsync.cli.main import cli as intsync
from mappings import SPECS_DIR

# the acceptance suite's `cli` (intsync as a process, on DuckDB and on PostgreSQL)
from tests.acceptance.conftest import cli, start_sandbox, stop, warehouse_url  # noqa: F401
from warehouse.destinations import Warehouse

KEY = "sk_test_team_specs"
NEW_COLUMN = "  receipt_url: receipt_url\n"


def version_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@pytest.fixture
def runner(intsync_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_init_writes_the_shipped_specs_and_says_how_to_use_them(runner, tmp_path):
    result = runner.invoke(intsync, ["mappings", "init", "team"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "wrote stripe/charges.yaml" in lines
    assert "wrote overrides/venue-mailchimp-demo/mailchimp/members.yaml" in lines
    assert lines[-1] == f"export INTSYNC_SPECS={tmp_path / 'team'}"
    assert (tmp_path / "team/stripe/charges.yaml").read_bytes() == (
        SPECS_DIR / "stripe/charges.yaml"
    ).read_bytes()

    (tmp_path / "team/stripe/charges.yaml").write_text("edited\n")
    again = runner.invoke(intsync, ["mappings", "init", "team"])
    assert again.exit_code == 2
    assert "pass --force to overwrite them" in again.output
    assert (tmp_path / "team/stripe/charges.yaml").read_text() == "edited\n"
    forced = runner.invoke(intsync, ["mappings", "init", "team", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "team/stripe/charges.yaml").read_text() != "edited\n"


def test_validate_says_which_file_each_table_came_from(runner, tmp_path, monkeypatch):
    assert runner.invoke(intsync, ["mappings", "init", "team"]).exit_code == 0
    team = tmp_path / "team"
    (team / "stripe/refunds.yaml").unlink()  # the shipped spec of the table is used again
    charges = team / "stripe/charges.yaml"
    charges.write_text(charges.read_text() + NEW_COLUMN)
    monkeypatch.setenv("INTSYNC_SPECS", str(team))

    result = runner.invoke(intsync, ["mappings", "validate"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[:-1]}
    assert lines["staging.stripe_charges"][1:] == ["team", str(charges), version_of(charges)]
    refunds = SPECS_DIR / "stripe/refunds.yaml"
    assert lines["staging.stripe_refunds"][1] == "shipped"
    assert lines["staging.stripe_refunds"][3] == version_of(refunds)
    assert result.output.splitlines()[-1].endswith(": 40 from the team folder, 1 shipped")

    as_json = json.loads(runner.invoke(intsync, ["mappings", "validate", "--json"]).output)
    assert as_json["valid"] is True and as_json["issues"] == []
    (entry,) = [s for s in as_json["specs"] if s["table"] == "staging.stripe_charges"]
    assert (entry["origin"], entry["file"], entry["version"]) == (
        "team",
        str(charges),
        version_of(charges),
    )


def test_validate_reports_a_team_spec_error_at_its_line(runner, tmp_path, monkeypatch):
    assert runner.invoke(intsync, ["mappings", "init", "team"]).exit_code == 0
    charges = tmp_path / "team/stripe/charges.yaml"
    charges.write_text(charges.read_text() + "  receipt: {path: receipt_url, transform: uper}\n")
    monkeypatch.setenv("INTSYNC_SPECS", str(tmp_path / "team"))
    result = runner.invoke(intsync, ["mappings", "validate"])
    assert result.exit_code == 1
    line = len(charges.read_text().splitlines())
    assert result.stdout.splitlines() == [
        f"{charges}:{line}:43: unknown transform 'uper' (did you mean 'upper'?)"
    ]
    as_json = runner.invoke(intsync, ["mappings", "validate", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["issues"] == result.stdout.splitlines()


@pytest.mark.slow
def test_sync_maps_with_the_team_folder_and_logs_its_spec_versions(cli, tmp_path):  # noqa: F811
    team = tmp_path / "team"
    printed = cli.run("mappings", "init", str(team)).stdout.splitlines()
    assert printed[-1] == f"export INTSYNC_SPECS={team}"
    charges = team / "stripe/charges.yaml"
    charges.write_text(charges.read_text() + NEW_COLUMN)
    cli.env["INTSYNC_SPECS"] = str(team)

    sandbox = start_sandbox("stripe", "--api-key", KEY, "--count", "charges=30", env=cli.env)
    try:
        url = sandbox.urls["stripe"]
        integration = cli.add_integration("tenant-t", "venue-t", "stripe", url, api_key=KEY)
        cli.run("sync", "--integration", integration, "--resource", "charges")
    finally:
        stop(sandbox.process)

    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    with warehouse.connect() as con:
        cur = con.cursor()
        cur.execute("select count(*), count(receipt_url) from staging.stripe_charges")
        assert tuple(cur.fetchone()) == (30, 30)
        cur.execute("select spec_versions from ops.sync_logs")
        (ops_versions,) = cur.fetchone()
    expected = version_of(charges)
    (log,) = cli.json("logs")
    assert log["spec_versions"]["staging.stripe_charges"] == expected
    core = team / "core/payments/stripe_charges.yaml"
    assert log["spec_versions"]["core.payments"] == version_of(core)
    if isinstance(ops_versions, str):
        ops_versions = json.loads(ops_versions)
    assert ops_versions == log["spec_versions"]


def test_preview_applies_the_team_folders_venue_override(runner, tmp_path, monkeypatch):
    assert runner.invoke(intsync, ["mappings", "init", "team"]).exit_code == 0
    override = tmp_path / "team/overrides/venue-mailchimp-demo/mailchimp/members.yaml"
    override.write_text("fields:\n  tier: merge_fields.MMERGE5\n")
    monkeypatch.setenv("INTSYNC_SPECS", str(tmp_path / "team"))
    member = {"id": "m1", "uid": "l1:m1", "list_id": "l1", "email_address": "a@example.com"}
    member["merge_fields"] = {"MMERGE5": "gold"}
    Path("members.json").write_text(json.dumps([member]))
    spec = str(tmp_path / "team/mailchimp/members.yaml")
    args = ["mappings", "preview", spec, "--input", "members.json", "--json"]
    result = runner.invoke(intsync, [*args, "--venue", "venue-mailchimp-demo"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["rows"]
    assert row["tier"] == "gold" and "ticket_tier" not in row
