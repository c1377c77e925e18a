"""`intsync mappings validate` and `preview`, as a data engineer runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from intsync.cli.main import cli

BROKEN = (
    "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
    "  currency: {path: currency, transform: uper}\n"
    '  refunded: {expr: "amount_refunded >"}\n'
)
CHARGES = [
    {
        "id": "ch_1",
        "amount": 1999,
        "currency": "usd",
        "status": "succeeded",
        "created": 1700000000,
        "refunds": {
            "data": [{"id": "re_1", "amount": 500, "currency": "usd", "created": 1700000100}]
        },
    },
    {"id": "ch_2", "amount": "lots", "currency": "usd"},
]


@pytest.fixture
def runner(intsync_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_validate_shipped_specs_exits_0_with_a_summary(runner):
    result = runner.invoke(cli, ["mappings", "validate"])
    assert result.exit_code == 0, result.output
    *tables, last = result.output.strip().splitlines()
    # the counts grow as providers add specs and venues add overrides
    summary = r"\d+ specs valid \(\d+ staging, \d+ core\), \d+ venue overrides?"
    assert re.fullmatch(summary, last), result.output
    # one line per table: its name, whose it is, its file and its version
    assert int(last.split()[0]) + int(last.split(", ")[-1].split()[0]) == len(tables)
    charges = next(line for line in tables if line.startswith("staging.stripe_charges "))
    assert re.fullmatch(
        r"staging\.stripe_charges +shipped +\S+charges\.yaml +sha256:[0-9a-f]{12}", charges
    )


def test_validate_broken_spec_exits_1_one_line_per_error(runner):
    Path("spec.yaml").write_text(BROKEN)
    result = runner.invoke(cli, ["mappings", "validate", "spec.yaml"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "spec.yaml:6:41: unknown transform 'uper' (did you mean 'upper'?)",
        "spec.yaml:7:38: expression 'amount_refunded >' does not parse: expected a value, "
        "found the end",
    ]


def test_validate_a_folder_and_a_missing_path(runner):
    Path("specs/stripe").mkdir(parents=True)
    Path("specs/stripe/charges.yaml").write_text(BROKEN)
    result = runner.invoke(cli, ["mappings", "validate", "specs", "nowhere.yaml"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "nowhere.yaml:1:1: no such file or folder"
    assert result.stdout.splitlines()[1].startswith("specs/stripe/charges.yaml:6:41: ")


def test_preview_prints_rows_and_quarantine(runner):
    Path("charges.json").write_text(json.dumps({"object": "list", "data": CHARGES}))
    spec = Path(__file__).parents[2] / "mappings/specs/stripe/charges.yaml"
    result = runner.invoke(
        cli, ["mappings", "preview", str(spec), "--input", "charges.json"], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    assert "staging.stripe_charges (1 row)" in result.output
    assert "19.99" in result.output
    assert "quarantined ch_2: amount = 'lots': 'lots' is not a whole number" in result.output


def test_preview_shows_child_tables(runner):
    invoice = {
        "id": "in_1",
        "currency": "eur",
        "total": 1500,
        "status": "paid",
        "lines": {
            "data": [
                {"id": "il_1", "amount": 1000, "currency": "eur"},
                {"id": "il_2", "amount": 500, "currency": "eur"},
            ]
        },
    }
    Path("invoices.json").write_text(json.dumps([invoice]))
    spec = Path(__file__).parents[2] / "mappings/specs/stripe/invoices.yaml"
    result = runner.invoke(
        cli, ["mappings", "preview", str(spec), "--input", "invoices.json"], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    assert "stripe_invoice_lines (2 rows)" in result.output
    assert "15.00" in result.output and "5.00" in result.output


def test_preview_json(runner):
    Path("charges.json").write_text(json.dumps(CHARGES))
    spec = Path(__file__).parents[2] / "mappings/specs/core/payments/stripe_charges.yaml"
    result = runner.invoke(
        cli,
        [
            "mappings",
            "preview",
            str(spec),
            "--input",
            "charges.json",
            "--json",
            "--venue",
            "venue_7",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["table"] == "core.payments"
    (row,) = out["rows"]
    assert (row["id"], row["amount"], row["currency"], row["status"]) == (
        "ch_1",
        "19.99",
        "USD",
        "completed",
    )
    assert (row["provider"], row["venue_id"]) == ("stripe", "venue_7")
    assert row["created_at"] == "2023-11-14T22:13:20+00:00"
    assert out["quarantined"][0]["reason"] == "'lots' is not a whole number"


def test_preview_of_a_broken_spec_prints_its_errors(runner):
    Path("spec.yaml").write_text(BROKEN)
    Path("in.json").write_text("[]")
    result = runner.invoke(cli, ["mappings", "preview", "spec.yaml", "--input", "in.json"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("spec.yaml:6:41: unknown transform")


def test_preview_rejects_input_that_is_not_records(runner):
    Path("in.json").write_text('"just text"')
    spec = Path(__file__).parents[2] / "mappings/specs/stripe/refunds.yaml"
    result = runner.invoke(cli, ["mappings", "preview", str(spec), "--input", "in.json"])
    assert result.exit_code == 2
    assert "expected a JSON list of objects" in result.output


@pytest.mark.slow
def test_validate_as_a_process(intsync_env, tmp_path):
    (tmp_path / "spec.yaml").write_text(BROKEN)
    command = [sys.executable, "-m", "intsync", "mappings", "validate"]
    env = {**intsync_env, "PATH": os.environ.get("PATH", "")}
    broken = subprocess.run(
        [*command, "spec.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert broken.returncode == 1
    assert "spec.yaml:6:41: unknown transform 'uper' (did you mean 'upper'?)" in (
        broken.stdout.splitlines()
    )
    shipped = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr


def test_remap_of_a_table_no_spec_writes_names_the_closest(runner):
    result = runner.invoke(cli, ["remap", "--table", "stripe_chargs", "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "no spec writes table 'stripe_chargs' (did you mean 'stripe_charges'?)" in result.output


def test_plan_on_an_empty_warehouse_lists_every_table_as_new(runner):
    result = runner.invoke(cli, ["mappings", "plan", "--table", "stripe_charges"])
    assert result.exit_code == 0, result.output
    assert "staging.stripe_charges: new table" in result.output
