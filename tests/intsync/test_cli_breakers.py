"""`intsync breakers list/reset` over the breakers the flows share through the store."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from intsync.cli.breakers import breakers
from warehouse.breakers import BreakerPolicy, CircuitBreaker
from warehouse.store import open_store

ENV_KEY = "test-secret-key-0123456789"  # what the intsync_env fixture sets


@click.group()
def cli() -> None:
    """The `intsync` root with only this command group."""


cli.add_command(breakers)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def store(intsync_env) -> Iterator[Any]:
    home = Path(intsync_env["INTSYNC_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with open_store(f"sqlite:///{home / 'intsync.db'}", ENV_KEY) as opened:
        yield opened


def trip(store, name: str, failures: int) -> None:
    breaker = CircuitBreaker(store, name, BreakerPolicy(failures=3, cooldown=600))
    for _ in range(failures):
        breaker.record_failure()


def test_list_says_when_no_breaker_has_counted_anything(store):
    assert "no breakers have tripped" in run("breakers", "list").output


def test_list_shows_open_and_counting_breakers(store):
    trip(store, "provider:stripe", 3)
    trip(store, "integration:int_1", 1)

    found = {b["name"]: b for b in json.loads(run("breakers", "list", "--json").stdout)}
    table = run("breakers", "list").output

    assert (
        found["provider:stripe"]["state"],
        found["provider:stripe"]["consecutive_failures"],
    ) == (
        "open",
        3,
    )
    assert found["provider:stripe"]["opened_at"] is not None
    assert (found["integration:int_1"]["state"], found["integration:int_1"]["opened_at"]) == (
        "closed",
        None,
    )
    assert "provider:stripe" in table and "open" in table


def test_reset_closes_an_open_breaker_so_work_goes_through_again(store):
    trip(store, "provider:stripe", 3)

    result = run("breakers", "reset", "provider:stripe")

    assert result.output.strip() == "breaker provider:stripe closed"
    state = store.get_breaker("provider:stripe")
    assert (state.state, state.consecutive_failures, state.opened_at) == ("closed", 0, None)
    CircuitBreaker(store, "provider:stripe").check()


@pytest.mark.slow
def test_the_installed_cli_lists_breakers_as_json(store, intsync_env):
    trip(store, "provider:square", 3)

    done = subprocess.run(
        [str(Path(sys.executable).with_name("intsync")), "breakers", "list", "--json"],
        env=intsync_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert [(b["name"], b["state"]) for b in json.loads(done.stdout)] == [
        ("provider:square", "open")
    ]


def test_reset_of_an_unknown_name_exits_2_with_the_closest_name_and_saves_nothing(store):
    result = CliRunner().invoke(cli, ["breakers", "reset", "provider:strip"])

    assert result.exit_code == 2
    assert "no breaker named 'provider:strip' (did you mean 'provider:stripe'?)" in result.output
    assert store.list_breakers() == []


def test_reset_knows_the_stored_integrations_by_id(store):
    integration = store.add_integration(
        tenant_id="t1", venue_id="v1", provider="stripe", credentials={"api_key": "sk_test_1"}
    )

    typo = CliRunner().invoke(cli, ["breakers", "reset", f"integration:{integration.id}x"])
    done = run("breakers", "reset", f"integration:{integration.id}")

    assert typo.exit_code == 2 and f"did you mean 'integration:{integration.id}'" in typo.output
    assert done.output.strip() == f"breaker integration:{integration.id} closed"
