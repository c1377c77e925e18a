from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner

from intsync.cli.integrations import integrations
from tests.warehouse.raw import raw_store_bytes
from warehouse.store import open_store

SECRET = "sk_test_SECRET"
ENV_KEY = "test-secret-key-0123456789"  # what the intsync_env fixture sets


@click.group()
def cli() -> None:
    """The `intsync` root with only this command group (the installed one is tested below)."""


cli.add_command(integrations)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def stored(url: str):
    with open_store(url, ENV_KEY) as store:
        return store.list_integrations()


@pytest.fixture
def sqlite_url(intsync_env) -> str:
    return f"sqlite:///{Path(intsync_env['INTSYNC_HOME']) / 'intsync.db'}"


def add_stripe(*extra: str):
    return run(
        "integrations", "add", "--tenant", "t1", "--venue", "v1", "--provider", "stripe",
        "--no-check", "--credential", f"api_key={SECRET}", *extra,
    )  # fmt: skip


def test_add_prints_the_id_last_and_stores_no_secret_in_clear(sqlite_url, caplog):
    caplog.set_level(logging.DEBUG)
    result = add_stripe("--name", "Main", "--base-url", "http://127.0.0.1:8111/")
    assert result.exit_code == 0, result.output
    integration_id = result.stdout.strip().splitlines()[-1]
    [integration] = stored(sqlite_url)
    assert integration.id == integration_id
    assert integration.credentials == {"api_key": SECRET}
    assert integration.base_url == "http://127.0.0.1:8111"
    assert integration.name == "Main"
    assert SECRET.encode() not in raw_store_bytes(sqlite_url)
    assert SECRET not in result.output
    assert SECRET not in caplog.text


def test_add_json_prints_only_the_id(sqlite_url):
    result = add_stripe("--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"id": stored(sqlite_url)[0].id}


def test_list_masks_secrets_and_filters(intsync_env):
    add_stripe()
    run(
        "integrations", "add", "--tenant", "t2", "--venue", "v9", "--provider", "quickbooks",
        "--no-check", "--credential", "client_id=ABclient", "--credential", "client_secret=qb-secret-value-1234",
        "--credential", "refresh_token=AB11-refresh-token-value", "--credential", "realm_id=9130",
    )  # fmt: skip
    text = run("integrations", "list").stdout
    assert SECRET not in text and "qb-secret-value-1234" not in text
    assert "api_key=****" in text
    assert "realm_id=9130" in text  # not a secret
    listed = json.loads(run("integrations", "list", "--json").stdout)
    assert [i["provider"] for i in listed] == ["stripe", "quickbooks"]
    assert listed[0]["credentials"] == {"api_key": "****"}
    assert listed[1]["credentials"]["client_secret"] == "****"
    only = json.loads(run("integrations", "list", "--json", "--tenant", "t2").stdout)
    assert [i["venue_id"] for i in only] == ["v9"]
    assert json.loads(run("integrations", "list", "--json", "--venue", "nope").stdout) == []


def test_remove_deletes_and_an_unknown_id_is_bad_usage(sqlite_url):
    integration_id = add_stripe().stdout.strip().splitlines()[-1]
    assert run("integrations", "remove", integration_id).exit_code == 0
    assert stored(sqlite_url) == []
    result = run("integrations", "remove", integration_id)
    assert result.exit_code == 2
    assert f"no integration '{integration_id}'" in result.stderr


BASE = ["integrations", "add", "--tenant", "t1", "--venue", "v1", "--no-check"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "shopify", "--credential", "api_key=x"], "unknown provider 'shopify'"),
        (
            [
                "--provider",
                "stripe",
                "--credential",
                f"api_key={SECRET}",
                "--credential",
                "token=x",
            ],
            "stripe does not take credential 'token'",
        ),
        (["--provider", "stripe"], "stripe needs credential api_key"),
        (
            [
                "--provider",
                "quickbooks",
                "--credential",
                "client_id=a",
                "--credential",
                "realm_id=1",
            ],
            "quickbooks needs credential client_secret",
        ),
        (["--provider", "stripe", "--credential", SECRET], "--credential number 1 has no '='"),
        (["--provider", "stripe", "--credential", "=x"], "has no key before '='"),
        (["--provider", "stripe", "--credential", "api_key="], "api_key= has an empty value"),
        (
            ["--provider", "stripe", "--credential", f"api_key={SECRET}", "--base-url", "ftp://x"],
            "must start with http:// or https://",
        ),
        (
            ["--provider", "stripe", "--credential", f"api_key={SECRET}", "--base-url", "http://"],
            "has no host",
        ),
        (
            ["--provider", "mailchimp", "--credential", "access_token=abc"],
            "mailchimp with access_token needs credential server",
        ),
        (
            ["--provider", "stripe", "--credential", "api_key=a", "--tenant", " "],
            "--tenant is empty",
        ),
    ],
)
def test_bad_input_says_what_is_wrong_exits_2_and_stores_nothing(sqlite_url, args, message):
    result = run(*BASE, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert SECRET not in result.output
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_missing_required_option_is_exit_2(intsync_env):
    result = run("integrations", "add", "--venue", "v1", "--provider", "stripe")
    assert result.exit_code == 2 and "--tenant" in result.stderr


def test_a_wrong_key_says_so_and_leaves_the_store_readable(sqlite_url, intsync_env):
    add_stripe()
    result = run("integrations", "list", env={"INTSYNC_SECRET_KEY": "a-different-key-123456789"})
    assert result.exit_code == 1
    assert "does not match the one this store was created with" in result.stderr
    assert stored(sqlite_url)[0].credentials == {"api_key": SECRET}


def test_rotate_key_from_a_file_then_the_new_key_opens_the_store(sqlite_url, tmp_path):
    add_stripe()
    key_file = tmp_path / "new.key"
    key_file.write_text("the-new-key-abcdefghijklmnop\n")
    result = run("integrations", "rotate-key", "--new-key-file", str(key_file))
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 stored secrets" in result.stdout
    assert "set INTSYNC_SECRET_KEY" in result.stdout
    assert "the-new-key" not in result.output
    new_env = {"INTSYNC_SECRET_KEY": "the-new-key-abcdefghijklmnop"}
    assert "****" in run("integrations", "list", env=new_env).stdout
    assert run("integrations", "list").exit_code == 1  # the old key no longer opens it


def test_rotate_key_with_a_generated_key_file_rewrites_it(intsync_env, monkeypatch):
    monkeypatch.delenv("INTSYNC_SECRET_KEY")
    add_stripe()
    key_path = Path(intsync_env["INTSYNC_HOME"]) / "secret.key"
    old = key_path.read_text()
    monkeypatch.setenv("NEW_KEY", "rotated-key-0123456789abcdef")
    result = run("integrations", "rotate-key", "--new-key-env", "NEW_KEY")
    assert result.exit_code == 0, result.output
    assert key_path.read_text().strip() == "rotated-key-0123456789abcdef" != old.strip()
    assert (key_path.stat().st_mode & 0o777) == 0o600
    assert "****" in run("integrations", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --new-key-file PATH or --new-key-env VAR"),
        (["--new-key-env", "UNSET_VAR_FOR_TEST"], "empty or shorter than 16"),
        (["--new-key-env", "INTSYNC_SECRET_KEY"], "already in use"),
    ],
)
def test_rotate_key_bad_input_is_exit_2(intsync_env, args, message):
    add_stripe()
    result = run("integrations", "rotate-key", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_on_postgres_no_secret_is_stored_in_clear(intsync_env, pg_database, monkeypatch):
    monkeypatch.setenv("INTSYNC_DATABASE_URL", pg_database)
    assert add_stripe().exit_code == 0
    assert "****" in run("integrations", "list").stdout
    raw = raw_store_bytes(pg_database)
    assert b"stripe" in raw and SECRET.encode() not in raw


@pytest.mark.slow
def test_the_installed_command_adds_and_lists(intsync_env, sqlite_url):
    exe = Path(sys.executable).with_name("intsync")
    assert exe.exists(), exe
    added = subprocess.run(
        [exe, "integrations", "add", "--tenant", "t", "--venue", "v", "--provider", "stripe",
         "--no-check", "--credential", f"api_key={SECRET}"],
        env=intsync_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().splitlines()[-1].startswith("int_")
    assert SECRET not in added.stdout + added.stderr
    assert SECRET.encode() not in raw_store_bytes(sqlite_url)
    listed = subprocess.run(
        [exe, "integrations", "list"], env=intsync_env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert listed.returncode == 0 and "api_key=****" in listed.stdout
    assert os.environ["INTSYNC_SECRET_KEY"] == ENV_KEY


OTHER = "int_0123456789abcdef"


def test_remove_drops_the_integrations_staging_datasets_and_working_folders(sqlite_url):
    from intsync.config import load_settings
    from warehouse.cursors import Cursor, commit_cursors, cursor_owners
    from warehouse.destinations import Warehouse

    integration_id = add_stripe().stdout.strip().splitlines()[-1]
    settings = load_settings()
    warehouse = Warehouse(settings.warehouse_url)
    warehouse.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse.duckdb_path)) as con:
        for schema in (f"staging_load_{integration_id}", f"core_load_{OTHER}", "raw_load_x"):
            con.execute(f'create schema "{schema}"; create table "{schema}".t (id text)')
    for name in (f"intsync_{integration_id}_staging", f"intsync_{OTHER}_core", "intsync_x_raw"):
        (settings.dlt_dir / name).mkdir(parents=True)
    with warehouse.writer() as held:
        commit_cursors(
            warehouse,
            [Cursor(i, "charges", "v", {"created": 1}) for i in (integration_id, OTHER)],
            held,
        )

    result = run("integrations", "remove", integration_id)

    assert result.exit_code == 0, result.output
    assert f"staging_load_{integration_id}" in result.stdout
    assert set(warehouse.loader_datasets()) == {OTHER}
    assert cursor_owners(warehouse) == {OTHER}, "its committed cursors went, not the others'"
    assert sorted(p.name for p in settings.dlt_dir.iterdir()) == [
        f"intsync_{OTHER}_core",
        "intsync_x_raw",
    ]
