"""Syncs on a real Prefect server with a real process worker, deployed from prefect.yaml:
priority order across the four queues, waiting on a full provider account, and a run whose
worker was killed rerun to a warehouse without duplicates."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.acceptance.conftest import Cli, Sandbox, start_sandbox, stop

pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))
ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_test_sandbox_1"
SYNC = "sync-integration/sync-integration"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Orchestra:
    """A Prefect server, the sandbox, intsync's CLI, and workers started on demand."""

    def __init__(self, tmp: Path, api: str, env: dict[str, str], sandbox: Sandbox) -> None:
        self.tmp, self.api, self.env, self.sandbox = tmp, api, env, sandbox
        self.cli = Cli(env)
        self.workers: list[subprocess.Popen] = []

    def worker(self, *extra: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", "integrations", "--type", "process", *extra],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and the flow run processes it started."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def start_run(self, queue: str, **parameters: Any) -> str:
        body = {"parameters": parameters, "work_queue_name": queue}
        deployment = self.get(f"/deployments/name/{SYNC}")
        path = f"/deployments/{deployment['id']}/create_flow_run"
        return self.call("post", path, json=body)["id"]

    def get(self, path: str) -> Any:
        return self.call("get", path)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call, retried on 502/503 as Prefect's own client does: a busy server answers
        503 (its SQLite database locked) without having done anything."""
        for attempt in range(6):
            response = requests.request(method, f"{self.api}{path}", timeout=30, **kwargs)
            if response.status_code not in (502, 503) or attempt == 5:
                break
            time.sleep(0.5 * (attempt + 1))
        response.raise_for_status()
        return response.json()

    def run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"/flow_runs/{run_id}")

    def state(self, run_id: str) -> str:
        return self.run(run_id)["state"]["type"]

    def finished(self, run_id: str, timeout: float) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.run(run_id)
            return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        return _wait(done, timeout, f"flow run {run_id} to finish")


@pytest.fixture(scope="module")
def orchestra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestra]:
    tmp = tmp_path_factory.mktemp("orchestration")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INTSYNC_", "PREFECT_"))}
    base.update(
        PREFECT_HOME=str(tmp / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
    )
    server_log = open(tmp / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=base,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {
        **base,
        "PREFECT_API_URL": api,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        "INTSYNC_HOME": str(tmp / "home"),
        "INTSYNC_SECRET_KEY": "orchestration-secret-key-0123456789",
        "INTSYNC_WAREHOUSE": f"duckdb:///{tmp / 'warehouse.duckdb'}",
        "INTSYNC_ACCOUNT_LIMITS": "stripe=1",
        "INTSYNC_TASK_RETRIES": "1",
        "INTSYNC_RETRY_BASE_SECONDS": "0.5",
    }
    sandbox = start_sandbox("stripe", "--count", "charges=40", env=env)
    band = Orchestra(tmp, api, env, sandbox)
    try:
        _wait(lambda: _healthy(api), 120, "the Prefect server", every=1)
        band.integration = band.cli.add_integration(
            "t1", "v1", "stripe", sandbox.urls["stripe"], api_key=KEY
        )
        band.cli.run("orchestrate", "setup", "--rerun-after", "45")
        band.cli.run("orchestrate", "deploy", timeout=180)
        yield band
    finally:
        for process in band.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        stop(sandbox.process)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _healthy(api: str) -> bool:
    try:
        return requests.get(f"{api}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _staging_charges(env: dict[str, str]) -> tuple[int, int]:
    import duckdb

    path = env["INTSYNC_WAREHOUSE"].removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as conn:
        row = conn.execute("select count(*), count(distinct id) from staging.stripe_charges")
        count, distinct = row.fetchone()
    return int(count), int(distinct)


def test_setup_made_the_pool_with_four_prioritised_queues(orchestra):
    queues = orchestra.call("post", "/work_pools/integrations/queues/filter", json={})
    found = {q["name"]: (q["priority"], q["concurrency_limit"]) for q in queues}
    assert found["critical"][0] == 1 and found["high"][0] == 2
    assert found["normal"] == (3, 6) and found["low"] == (4, 2)
    again = orchestra.cli.run("orchestrate", "setup", "--rerun-after", "45").stdout
    assert "created" not in again, again


def test_runs_waiting_on_all_four_queues_start_in_priority_order(orchestra):
    queued = {}
    for queue in ("low", "normal", "high", "critical"):
        queued[queue] = orchestra.start_run(
            queue, integration_id=orchestra.integration, resources=["charges"], priority=queue
        )
        time.sleep(0.3)
    worker = orchestra.worker("--limit", "1")
    runs = {queue: orchestra.finished(run_id, 300) for queue, run_id in queued.items()}
    orchestra.kill(worker)

    assert all(run["state"]["type"] == "COMPLETED" for run in runs.values()), runs
    by_start = sorted(runs, key=lambda queue: runs[queue]["start_time"])
    assert by_start == ["critical", "high", "normal", "low"]
    assert _staging_charges(orchestra.env) == (40, 40)


def test_a_run_on_an_account_at_its_limit_waits_and_then_completes(orchestra):
    from prefect.concurrency.sync import concurrency
    from prefect.settings import PREFECT_API_URL, temporary_settings

    worker = orchestra.worker("--limit", "2")
    limit = [n for n in _limits(orchestra) if n.startswith("account:stripe:")]
    assert limit == [limit[0]], limit
    with temporary_settings({PREFECT_API_URL: orchestra.api}), concurrency(limit[0], occupy=1):
        run_id = orchestra.start_run(
            "high", integration_id=orchestra.integration, resources=["charges"]
        )
        _wait(lambda: orchestra.state(run_id) == "RUNNING", 60, "the run to start")
        time.sleep(6)
        assert orchestra.state(run_id) == "RUNNING"
        logs = orchestra.cli.json("logs", "--limit", "500")
        assert all(entry["run_id"] != run_id.replace("-", "") for entry in logs)
    run = orchestra.finished(run_id, 60)
    orchestra.kill(worker)
    assert run["state"]["type"] == "COMPLETED"


def _limits(orchestra: Orchestra) -> list[str]:
    found = orchestra.call("post", "/v2/concurrency_limits/filter", json={})
    return [item["name"] for item in found]


def test_a_run_whose_worker_is_killed_is_rerun_and_the_warehouse_is_exact(orchestra):
    sandbox = orchestra.sandbox
    for _ in range(15):
        sandbox.admin(
            "stripe",
            "mutate",
            {
                "action": "create",
                "resource": "charges",
                "fields": {"amount": 1234, "currency": "usd"},
            },
        )
    sandbox.admin("stripe", "mutate", {"action": "touch", "resource": "charges", "count": 5})
    # slow enough that the run is still reading when the kill lands, on a busy machine too
    sandbox.admin("stripe", "faults", {"latency_ms": 5000})
    worker = orchestra.worker("--limit", "1")
    run_id = orchestra.start_run(
        "high", integration_id=orchestra.integration, resources=["charges"]
    )
    short = run_id.replace("-", "")

    def running_log() -> bool:
        logs = orchestra.cli.json("logs", "--limit", "500")
        return any(e["run_id"] == short and e["status"] == "running" for e in logs)

    _wait(running_log, 90, "the sync to start reading")
    orchestra.kill(worker)
    sandbox.admin("stripe", "faults", {"latency_ms": 0})
    assert orchestra.state(run_id) == "RUNNING"
    _wait(
        lambda: orchestra.state(run_id) == "SCHEDULED", 150, "the automation to reschedule", every=2
    )
    replacement = orchestra.worker("--limit", "1")
    run = orchestra.finished(run_id, 120)
    orchestra.kill(replacement)

    assert run["state"]["type"] == "COMPLETED"
    assert run["run_count"] >= 2
    expected = len(
        json.loads(
            requests.get(f"{sandbox.urls['stripe']}/_sandbox/objects/charges", timeout=30).content
        )
    )
    assert expected == 55
    assert _staging_charges(orchestra.env) == (expected, expected)


def test_a_deployment_runs_the_specs_folder_it_was_deployed_with(orchestra):
    import duckdb

    deployment = orchestra.get(f"/deployments/name/{SYNC}")
    assert deployment["job_variables"]["env"] == {"INTSYNC_SPECS": ""}  # the shipped specs
    team = orchestra.tmp / "team-specs"
    orchestra.cli.run("mappings", "init", str(team))
    charges = team / "stripe/charges.yaml"
    charges.write_text(charges.read_text() + "  receipt_url: receipt_url\n")
    deployer = Cli({**orchestra.env, "INTSYNC_SPECS": str(team)})
    try:
        said = deployer.run("orchestrate", "deploy", timeout=180).stdout
        assert f"map with the specs in {team} over the shipped ones" in said
        deployment = orchestra.get(f"/deployments/name/{SYNC}")
        assert deployment["job_variables"]["env"] == {"INTSYNC_SPECS": str(team)}
        worker = orchestra.worker("--limit", "1")  # its own environment names no specs
        run_id = orchestra.start_run(
            "high", integration_id=orchestra.integration, resources=["charges"], full_refresh=True
        )
        run = orchestra.finished(run_id, 150)
        orchestra.kill(worker)
    finally:
        orchestra.cli.run("orchestrate", "deploy", timeout=180)

    assert run["state"]["type"] == "COMPLETED"
    short = run_id.replace("-", "")
    logs = [e for e in orchestra.cli.json("logs", "--limit", "500") if e["run_id"] == short]
    version = "sha256:" + hashlib.sha256(charges.read_bytes()).hexdigest()[:12]
    assert logs and all(e["spec_versions"]["staging.stripe_charges"] == version for e in logs)
    path = orchestra.env["INTSYNC_WAREHOUSE"].removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as conn:
        count, filled = conn.execute(
            "select count(*), count(receipt_url) from staging.stripe_charges"
        ).fetchone()
    assert count > 0 and filled == count


def test_sync_via_prefect_queues_on_high_and_orchestrate_run_follows_the_run_to_its_end(
    orchestra,
):
    queued = orchestra.cli.run(
        "sync", "--via", "prefect", "--integration", orchestra.integration,
        "--resource", "charges", "--no-wait",
    ).stdout.split()  # fmt: skip
    assert len(queued) == 1
    waiting = orchestra.run(queued[0])
    assert (waiting["work_queue_name"], waiting["state"]["type"]) == ("high", "SCHEDULED")
    assert waiting["parameters"]["integration_id"] == orchestra.integration
    assert waiting["parameters"]["resources"] == ["charges"]

    worker = orchestra.worker("--limit", "1")
    try:
        followed = orchestra.cli.run(
            "orchestrate", "run", "--integration", orchestra.integration,
            "--resource", "customers", "--json", timeout=400,
        )  # fmt: skip
    finally:
        orchestra.kill(worker)

    result = json.loads(followed.stdout)
    progress = followed.stderr.splitlines()
    assert (result["queue"], result["state"]) == ("high", "Completed")
    assert orchestra.state(result["runId"]) == "COMPLETED"
    # a state lasting less than the follower's poll (Running, for a quick run) may go unseen
    assert progress[0].endswith(": Scheduled") and progress[-1].endswith(": Completed")
    assert orchestra.state(queued[0]) == "COMPLETED"  # the worker took the first one too
