"""Flow runs on the Prefect pool, by deployment name: start one on a work queue, and follow runs
to their final states. What the web service's triggers and `intsync orchestrate run` share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

SYNC_DEPLOYMENT = "sync-integration/sync-integration"
QUEUES = ("critical", "high", "normal", "low")  # the pool's work queues, most urgent first
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class RunNotStarted(Exception):
    """The Prefect API refused or could not be reached: no run was started. Check the server
    and that prefect.yaml is deployed, then try again."""


@dataclass(frozen=True)
class RunState:
    """Where one flow run stands."""

    run_id: str
    name: str  # Prefect's state name: Scheduled, Pending, Running, AwaitingRetry, Completed, ...
    kind: str  # its type: SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CRASHED, CANCELLED

    @property
    def final(self) -> bool:
        return self.kind in FINAL


@contextmanager
def _api(api_url: str) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def start_run(api_url: str, deployment: str, parameters: Mapping[str, Any], queue: str) -> str:
    """Create a flow run of `deployment` on work queue `queue`, not waiting for it; its id."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    try:
        with _api(api_url):
            run = cast(  # called outside an event loop: the run itself, not a coroutine
                FlowRun,
                run_deployment(
                    name=deployment, parameters=dict(parameters), work_queue_name=queue, timeout=0
                ),
            )
    except Exception as exc:  # any failure to reach or use the API means: not started
        raise RunNotStarted(
            f"could not start {deployment} on queue {queue} through {api_url}: "
            f"{type(exc).__name__}: {str(exc).strip()[:200]}; check that the Prefect server is "
            "up and prefect.yaml is deployed (`intsync orchestrate deploy`)"
        ) from exc
    return str(run.id)


def read_states(api_url: str, run_ids: Sequence[str]) -> list[RunState]:
    """The current state of each run."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with _api(api_url), get_client(sync_client=True) as client:
        found = []
        for run_id in run_ids:
            state = client.read_flow_run(UUID(run_id)).state
            name, kind = (str(state.name), state.type.value) if state else ("Unknown", "UNKNOWN")
            found.append(RunState(run_id, name, kind))
        return found


def follow(
    api_url: str,
    run_ids: Sequence[str],
    on_change: Callable[[RunState], None],
    every: float = 2.0,
) -> list[RunState]:
    """Poll the runs until each reaches a final state, calling `on_change` whenever one
    changes state; their final states."""
    seen: dict[str, str] = {}
    while True:
        states = read_states(api_url, run_ids)
        for state in states:
            if seen.get(state.run_id) != state.name:
                seen[state.run_id] = state.name
                on_change(state)
        if all(s.final for s in states):
            return states
        time.sleep(every)
