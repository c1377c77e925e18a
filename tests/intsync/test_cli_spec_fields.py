"""Specs checked against the provider, from the outside: `intsync mappings validate` on a
team's folder refuses a path the provider's records do not have, an unknown provider and a
resource no connector reads, each at its file, line and column; `preview` refuses them too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from intsync.cli.main import cli

CHARGES = """\
provider: stripe
resource: charges
table: stripe_charges
fields:
  id: id
  receipt_url: recipt_url
  billing_name: biling_details.name
  billing_email: billing_details.emial
  customer_email: customer.email
"""
COUPONS = "provider: stripe\nresource: coupons\ntable: stripe_coupons\nfields:\n  id: id\n"
STRIP = "provider: strip\nresource: charges\ntable: strip_charges\nfields:\n  id: id\n"
EXPECTED = [
    "specs/strip/charges.yaml:1:11: unknown provider 'strip' (did you mean 'stripe'?): "
    "intsync reads stripe, square, mailchimp, quickbooks",
    "specs/stripe/charges.yaml:6:16: 'recipt_url' is not a field of stripe charges "
    "(did you mean 'receipt_url'?)",
    "specs/stripe/charges.yaml:7:17: 'biling_details' is not a field of stripe charges "
    "(did you mean 'billing_details'?)",
    "specs/stripe/charges.yaml:8:34: 'emial' is not a field of stripe charges billing_details "
    "(did you mean 'email'?)",
    "specs/stripe/coupons.yaml:2:11: intsync does not read stripe resource 'coupons': its "
    "stripe connector reads balance_transactions, charges, customers, disputes, invoices, "
    "payment_intents, payouts, prices, products, refunds, subscriptions",
]


@pytest.fixture
def team_folder(tmp_path: Path) -> Path:
    for name, text in {
        "stripe/charges.yaml": CHARGES,
        "stripe/coupons.yaml": COUPONS,
        "strip/charges.yaml": STRIP,
    }.items():
        path = tmp_path / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.slow
def test_validate_refuses_paths_the_provider_does_not_have(intsync_env, team_folder):
    env = {**intsync_env, "PATH": os.environ.get("PATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "intsync", "mappings", "validate", "specs"],
        cwd=team_folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines() == EXPECTED
    assert done.stderr.strip().endswith("5 errors")


def test_validate_passes_once_the_paths_are_fixed(intsync_env, team_folder, monkeypatch):
    monkeypatch.chdir(team_folder)
    (team_folder / "specs/stripe/coupons.yaml").unlink()
    (team_folder / "specs/strip/charges.yaml").unlink()
    fixed = CHARGES.replace("recipt_url", "receipt_url").replace("biling_", "billing_")
    (team_folder / "specs/stripe/charges.yaml").write_text(fixed.replace("emial", "email"))
    result = CliRunner().invoke(cli, ["mappings", "validate", "specs"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 spec valid (1 staging, 0 core), 0 venue overrides"


def test_preview_refuses_a_path_the_provider_does_not_have(intsync_env, team_folder, monkeypatch):
    monkeypatch.chdir(team_folder)
    Path("charges.json").write_text('[{"id": "ch_1", "receipt_url": "https://x"}]')
    result = CliRunner().invoke(
        cli, ["mappings", "preview", "specs/stripe/charges.yaml", "--input", "charges.json"]
    )
    assert result.exit_code == 1
    assert result.output.splitlines() == EXPECTED[1:4]
