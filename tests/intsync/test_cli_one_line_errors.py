"""Environment problems an operator can fix end in one line saying what to do and a non-zero
exit, never a traceback: an INTSYNC_HOME that cannot be written, a Prefect server that is down."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

INTSYNC = str(Path(sys.executable).with_name("intsync"))


def intsync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [INTSYNC, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["integrations", "list"], ["sync"], ["logs"], ["breakers", "list"], ["dlq", "list"]],
    ids=lambda c: " ".join(c),
)
@pytest.mark.parametrize("with_key", [True, False], ids=["key set", "key generated"])
def test_an_unwritable_home_is_one_line_saying_what_to_set(
    intsync_env, tmp_path, command, with_key
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**intsync_env, "INTSYNC_HOME": str(blocker / "home")}
    if not with_key:
        env.pop("INTSYNC_SECRET_KEY")

    done = intsync(env, *command)

    assert done.returncode == 1
    line = one_line(done)
    assert line.startswith(f"Error: INTSYNC_HOME={blocker / 'home'} cannot be used: ")
    assert "Set INTSYNC_HOME to a folder this user can create and write" in line


@pytest.mark.slow
@pytest.mark.parametrize("command", ["setup", "deploy"])
def test_orchestrate_with_the_prefect_server_down_is_one_line(intsync_env, command):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/api"

    done = intsync({**intsync_env, "PREFECT_API_URL": url}, "orchestrate", command)

    assert done.returncode == 1
    assert one_line(done) == (
        f"Error: the Prefect server at {url} does not answer (ConnectError): start it "
        "(`prefect server start`) or set PREFECT_API_URL to one that runs, then run this again"
    )
