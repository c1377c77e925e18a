"""Acceptance fixtures: intsync and the sandboxes as separate processes, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

PROVIDERS = ("stripe", "square", "mailchimp", "quickbooks")
INTSYNC = str(Path(sys.executable).with_name("intsync"))


@dataclass
class Sandbox:
    """A sandbox process and its base URLs by provider."""

    process: subprocess.Popen
    urls: dict[str, str] = field(default_factory=dict)

    def admin(self, provider: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        url = f"{self.urls[provider]}/_sandbox/{path}"
        response = (
            requests.post(url, json=payload, timeout=30)
            if payload is not None
            else requests.get(url, timeout=30)
        )
        response.raise_for_status()
        return response.json()


def start_sandbox(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Sandbox:
    """Run `intsync sandbox ARGS --port 0` and wait for its `ready <provider> <url>` lines."""
    process = subprocess.Popen(
        [INTSYNC, "sandbox", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    sandbox = Sandbox(process)
    wanted = {a for a in args if a in PROVIDERS}
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "ready":
            sandbox.urls[parts[1]] = parts[2]
            if wanted <= set(sandbox.urls):
                threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
                return sandbox
    process.kill()
    raise RuntimeError("sandbox did not start:\n" + "".join(seen))


def _drain(stream: Any) -> None:
    """Keep reading a child's output so that it never blocks on a full pipe."""
    for _ in iter(stream.readline, ""):
        pass


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Cli:
    """Runs `intsync` as a separate process with a private environment."""

    env: dict[str, str]

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [INTSYNC, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"intsync {' '.join(args)} exited {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return done

    def json(self, *args: str, check: bool = True) -> Any:
        """One JSON document, or one per line (then a list, unless there is one)."""
        out = self.run(*args, "--json", check=check).stdout
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            lines = [json.loads(line) for line in out.splitlines() if line.strip()]
            return lines[0] if len(lines) == 1 else lines

    def add_integration(
        self, tenant: str, venue: str, provider: str, base_url: str, **creds: str
    ) -> str:
        """Store an integration without the connection check (tests add revoked keys and
        sandboxes that fail on purpose); tests/intsync/test_cli_connection_check.py tries it."""
        args = [
            "integrations",
            "add",
            "--no-check",
            "--tenant",
            tenant,
            "--venue",
            venue,
            "--provider",
            provider,
            "--base-url",
            base_url,
        ]
        for key, value in creds.items():
            args += ["--credential", f"{key}={value}"]
        return self.json(*args)["id"]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def cli(tmp_path: Path, warehouse_url: str) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTSYNC_")}
    env.update(
        INTSYNC_HOME=str(tmp_path / "home"),
        INTSYNC_SECRET_KEY="acceptance-secret-key-0123456789",
        INTSYNC_WAREHOUSE=warehouse_url,
    )
    return Cli(env)


@pytest.fixture
def stripe_sandbox(cli: Cli) -> Iterator[Sandbox]:
    sandbox = start_sandbox("stripe", env=cli.env)
    try:
        yield sandbox
    finally:
        stop(sandbox.process)
