"""What the sync benchmarks share: a private environment, timing, and `intsync` as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.acceptance.conftest import INTSYNC  # noqa: E402


def bench_env(prefix: str) -> tuple[Path, dict[str, str]]:
    """A scratch folder and an environment with its own INTSYNC_HOME and key."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTSYNC_")}
    env.update(INTSYNC_HOME=str(work / "home"), INTSYNC_SECRET_KEY="bench-secret-key-0123456789")
    return work, env


def timed(fn: Callable[[], Any]) -> float:
    """Seconds `fn()` took."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def cli(env: Mapping[str, str], *args: str) -> str:
    """Run `intsync ARGS`; stop the benchmark with its output if it fails."""
    done = subprocess.run(
        [INTSYNC, *args], env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"intsync {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def add_integration(
    env: Mapping[str, str],
    provider: str,
    url: str,
    credentials: Mapping[str, str],
    venue: str = "bench-venue",
) -> str:
    """`intsync integrations add` for tenant `bench`; the new integration's id."""
    args = ["integrations", "add", "--tenant", "bench", "--venue", venue, "--provider", provider,
            "--base-url", url, "--json"]  # fmt: skip
    for key, value in credentials.items():
        args += ["--credential", f"{key}={value}"]
    return json.loads(cli(env, *args).strip().splitlines()[-1])["id"]
