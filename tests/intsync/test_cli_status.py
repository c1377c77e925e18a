"""`intsync status` and `intsync logs` on a home synced from a served Stripe sandbox: one venue
in step (with a quarantined charge), one whose key was revoked; read through a pipe, as a
script or `grep` would, and as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.common.rate import forget_budgets
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from warehouse.breakers import BreakerPolicy, CircuitBreaker
from warehouse.store import open_store

INTSYNC = str(Path(sys.executable).with_name("intsync"))
ENV_KEY = "test-secret-key-0123456789"  # what the intsync_env fixture sets
GOOD_KEY = "sk_test_status_good_0001"
REVOKED_KEY = "sk_test_status_revoked_0002"
# longer than any column rich would give it in 80 characters, with a word per line when wrapped
LONG_REASON = "sync: the provider answered 503 for every page of charges " * 4


def intsync(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [INTSYNC, *args], env=env, capture_output=True, text=True, timeout=300, check=check
    )


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A home with venue-good synced (one charge quarantined), venue-revoked refused with a 401,
    a dead letter and an open breaker on venue-good's integration."""
    import os

    home = tmp_path_factory.mktemp("status") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTSYNC_")}
    env.update(INTSYNC_HOME=str(home), INTSYNC_SECRET_KEY=ENV_KEY, INTSYNC_READ_PROCESSES="1")
    env.pop("PREFECT_API_URL", None)
    forget_budgets()
    sandbox = StripeSandbox({GOOD_KEY: SeedSpec(seed=5, counts={"customers": 6, "charges": 8})})
    sandbox.create(GOOD_KEY, "charges", {"amount": 1999, "currency": "kwd"})  # 3 decimals
    with SandboxServer(sandbox) as server:
        ids = {}
        for venue, key in (("venue-good", GOOD_KEY), ("venue-revoked", REVOKED_KEY)):
            added = intsync(
                env, "integrations", "add", "--no-check", "--tenant", "t1", "--venue", venue,
                "--provider", "stripe", "--base-url", server.url,
                "--credential", f"api_key={key}", "--json",
            )  # fmt: skip
            ids[venue] = json.loads(added.stdout.strip().splitlines()[-1])["id"]
        intsync(env, "sync", "--all", check=False)
    with open_store(f"sqlite:///{home / 'intsync.db'}", ENV_KEY) as store:
        store.add_dead_letter(
            kind="sync",
            integration_id=ids["venue-good"],
            payload={"integration_id": ids["venue-good"]},
            reason=LONG_REASON,
            attempts=4,
        )
        breaker = CircuitBreaker(
            store, f"integration:{ids['venue-good']}", BreakerPolicy(failures=1, cooldown=600)
        )
        breaker.record_failure()
    yield {"env": env, "ids": ids}
    forget_budgets()


def venue(report: dict[str, Any], venue_id: str) -> dict[str, Any]:
    return next(v for v in report["venues"] if v["venue_id"] == venue_id)


def test_status_json_says_which_venue_is_in_step_and_which_needs_a_reconnect(synced):
    report = json.loads(intsync(synced["env"], "status", "--json").stdout)

    good = venue(report, "venue-good")
    revoked = venue(report, "venue-revoked")
    ok, bad = good["integrations"][0], revoked["integrations"][0]
    assert (ok["id"], ok["needs_reconnect"], ok["last_failure"]) == (
        synced["ids"]["venue-good"],
        False,
        None,
    )
    assert ok["last_success"]["at"] is not None
    charges = next(r for r in ok["resources"] if r["resource"] == "charges")
    assert charges["lag_seconds"] is not None and charges["lag_seconds"] >= 0
    assert charges["newest_row_at"] is not None  # from staging.stripe_charges._synced_at
    assert (ok["breaker"], ok["dead_letters"]) == ("open", 1)
    assert good["open_quarantine"] >= 1
    assert good["quarantine_by_table"].get("stripe_charges") == 1
    assert (bad["needs_reconnect"], bad["last_success"], bad["dead_letters"]) == (True, None, 0)
    assert "401" in bad["last_failure"]["message"] or "key" in bad["last_failure"]["message"]
    assert revoked["open_quarantine"] == 0


def test_status_of_one_venue_shows_only_that_venue(synced):
    report = json.loads(intsync(synced["env"], "status", "--venue", "venue-good", "--json").stdout)

    assert [v["venue_id"] for v in report["venues"]] == ["venue-good"]


def test_status_of_an_unknown_venue_exits_2(synced):
    done = intsync(synced["env"], "status", "--venue", "venue-nowhere", check=False)

    assert done.returncode == 2
    assert "no integrations for venue 'venue-nowhere'" in done.stderr


def test_status_through_a_pipe_prints_whole_values_one_line_per_integration(synced):
    out = intsync(synced["env"], "status").stdout
    lines = out.splitlines()
    report = json.loads(intsync(synced["env"], "status", "--json").stdout)
    failure = venue(report, "venue-revoked")["integrations"][0]["last_failure"]["message"]

    assert "…" not in out
    assert len(lines) == 3  # the header and one line per integration
    good = next(line for line in lines if line.startswith("venue-good "))
    revoked = next(line for line in lines if line.startswith("venue-revoked "))
    assert synced["ids"]["venue-good"] in good and " open " in good
    assert synced["ids"]["venue-revoked"] in revoked and "needs reconnect" in revoked
    assert " ".join(failure.split()) in revoked


def test_logs_through_a_pipe_keep_long_messages_whole_on_one_line(synced):
    report = json.loads(intsync(synced["env"], "logs", "--json").stdout)
    failed = [e for e in report if e["status"] == "failed"]
    out = intsync(synced["env"], "logs").stdout
    lines = out.splitlines()

    assert failed and "…" not in out
    assert len(lines) == len(report) + 1
    for entry in failed:
        line = next(x for x in lines if entry["resource"] in x and "failed" in x)
        assert entry["venue_id"] in line
        assert " ".join(entry["error_message"].split()) in line
