"""The docs run: every SQL block in docs/analysts.md against the demo's warehouse, and the
"Changing a spec in production" journey of docs/mappings.md, command by command."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.acceptance.conftest import INTSYNC, start_sandbox, stop

DOCS = Path(__file__).resolve().parents[2] / "docs"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTSYNC_")}
    env.update(
        INTSYNC_HOME=str(tmp_path / "home"),
        INTSYNC_SECRET_KEY="docs-secret-key-0123456789",
        PATH=f"{Path(INTSYNC).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def sql_blocks(path: Path) -> list[str]:
    return [block.strip() for block in SQL_BLOCK.findall(path.read_text())]


def test_every_analyst_query_returns_rows_on_the_demo_warehouse(tmp_path: Path) -> None:
    env = _env(tmp_path)
    demo = subprocess.run([INTSYNC, "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    blocks = sql_blocks(DOCS / "analysts.md")
    assert len(blocks) >= 4
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as con:
        for sql in blocks:
            rows = con.execute(sql).fetchall()
            assert rows, f"no rows from the documented query:\n{sql}"


def journey(path: Path, heading: str) -> list[str]:
    """The `$ ` commands of the console blocks in one section of a doc, in order."""
    text = path.read_text()
    start = text.index(f"## {heading}")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else None]
    commands = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        commands += [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    return commands


@pytest.mark.parametrize(
    "warehouse", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_changing_a_spec_in_production_runs_as_documented(
    tmp_path: Path, warehouse: str, request: pytest.FixtureRequest
) -> None:
    env = _env(tmp_path)
    if warehouse == "postgres":
        env["INTSYNC_WAREHOUSE"] = request.getfixturevalue("pg_database")
    sandbox = start_sandbox("stripe", "--api-key", "sk_test_docs_harbour", env=env)
    try:
        added = subprocess.run(
            [
                INTSYNC,
                *shlex.split(
                    "integrations add --tenant tenant-northwind --venue venue-harbour-hall"
                    " --provider stripe --credential api_key=sk_test_docs_harbour --json"
                ),
                "--base-url",
                sandbox.urls["stripe"],
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stdout + added.stderr
        commands = journey(DOCS / "mappings.md", "Changing a spec in production")
        assert len(commands) >= 8
        work = tmp_path / "work"
        work.mkdir()
        script = "set -e\n" + "".join(
            f"echo '>>> {c.replace(chr(39), '')}'\n{c}\n" for c in commands
        )
        done = subprocess.run(
            ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    finally:
        stop(sandbox.process)
