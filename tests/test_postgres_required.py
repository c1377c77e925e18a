"""An unreachable PostgreSQL fails `make test` (and a bare pytest) with a clear message; only
`make test-fast` skips the PostgreSQL tests. The shared server stays up: these tests point
INTSYNC_TEST_PG at a port nothing listens on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDS_PG = """
from tests.conftest import pg_database  # noqa: F401


def test_needs_postgres(pg_database):
    assert pg_database
"""


@pytest.fixture
def down_env() -> dict[str, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "INTSYNC_TEST_PG_OPTIONAL"}
    env.update(
        INTSYNC_TEST_PG=f"postgresql://postgres:pw@127.0.0.1:{port}/postgres",
        INTSYNC_PG_WAIT_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def pytest_run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    test = tmp_path / "test_needs_pg.py"
    test.write_text(NEEDS_PG)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_test_that_needs_an_unreachable_postgres_fails_saying_what_to_do(tmp_path, down_env):
    done = pytest_run(tmp_path, down_env)

    assert done.returncode == 1, done.stdout
    assert "1 error" in done.stdout
    assert "PostgreSQL does not answer at postgresql://postgres:***@127.0.0.1:" in done.stdout
    assert "only `make test-fast` (INTSYNC_TEST_PG_OPTIONAL=1) skips" in done.stdout
    assert ":pw@" not in done.stdout


def test_only_the_fast_run_skips_them(tmp_path, down_env):
    done = pytest_run(tmp_path, {**down_env, "INTSYNC_TEST_PG_OPTIONAL": "1"})

    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout and "PostgreSQL does not answer" in done.stdout


def test_ensure_postgres_exits_1_unless_the_fast_run_asked(down_env):
    script = str(ROOT / "scripts" / "ensure-postgres")

    strict = subprocess.run([script], env=down_env, capture_output=True, text=True, timeout=60)
    optional = subprocess.run(
        [script],
        env={**down_env, "INTSYNC_TEST_PG_OPTIONAL": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert strict.returncode == 1
    assert "PostgreSQL does not answer on 127.0.0.1:" in strict.stderr
    assert "make test needs it" in strict.stderr
    assert optional.returncode == 0 and "skips the PostgreSQL tests" in optional.stderr


def test_make_sets_the_skip_for_test_fast_only():
    # PY is replaced by a command that prints the variable and comments out the rest
    show = "printenv INTSYNC_TEST_PG_OPTIONAL || echo unset; true #"
    env = {k: v for k, v in os.environ.items() if k != "INTSYNC_TEST_PG_OPTIONAL"}
    fast = subprocess.run(
        ["make", "-s", "-o", "install", "-o", "postgres", "test-fast", f"PY={show}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    full = subprocess.run(
        ["make", "-s", "-o", "install", "-o", "postgres", "-o", "lint", "test", f"PY={show}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert fast.stdout.strip() == "1", fast.stdout + fast.stderr
    assert full.stdout.strip() == "unset", full.stdout + full.stderr
