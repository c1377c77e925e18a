"""Starting Prefect flow runs by deployment name: the web layer's only link to orchestration."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from intsync.runs import QUEUES, RunNotStarted, start_run
from web.errors import OrchestratorUnavailable

log = logging.getLogger(__name__)

APPLY_DEPLOYMENT = "apply-webhook-events/apply-webhook-events"
# A webhook asks for an apply run at most this often per integration and process; the
# scheduled drain picks up anything that arrives in between.
APPLY_DEBOUNCE_S = 5.0


class Launcher(Protocol):
    """Starts a run of a deployment on a work queue and returns the flow run id."""

    def __call__(self, deployment: str, parameters: Mapping[str, Any], queue: str) -> str: ...


class PrefectLauncher:
    """Creates flow runs through the Prefect API at `api_url` without waiting for them."""

    def __init__(self, api_url: str | None) -> None:
        self.api_url = api_url

    def __call__(self, deployment: str, parameters: Mapping[str, Any], queue: str) -> str:
        if not self.api_url:
            raise OrchestratorUnavailable(
                "no Prefect API is configured: set PREFECT_API_URL "
                "(e.g. http://127.0.0.1:4200/api) and deploy prefect.yaml"
            )
        try:
            return start_run(self.api_url, deployment, parameters, queue)
        except RunNotStarted as exc:
            log.warning("%s", exc)
            raise OrchestratorUnavailable(
                f"could not start {deployment} on queue {queue} through {self.api_url}: "
                f"{type(exc.__cause__).__name__}; check that the Prefect server is up and "
                "prefect.yaml is deployed"
            ) from exc


def queue_for(priority: str | None, default: str = "high") -> str:
    """The work queue for a requested priority; ValueError naming the choices."""
    queue = (priority or default).lower()
    if queue not in QUEUES:
        raise ValueError(f"priority {priority!r} is not one of {', '.join(QUEUES)}")
    return queue


class ApplyRequester:
    """Asks, in the background and at most every few seconds per integration, for an apply run.

    Never raises into the caller: stored events are durable and a scheduled flow drains them.
    """

    def __init__(self, launcher: Launcher, debounce_s: float = APPLY_DEBOUNCE_S) -> None:
        self.launcher = launcher
        self.debounce_s = debounce_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apply-request")

    def request(self, integration_id: str) -> bool:
        """Queue an apply request unless one went out recently; True if queued."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(integration_id, -1e9) < self.debounce_s:
                return False
            self._last[integration_id] = now
        self._pool.submit(self._launch, integration_id)
        return True

    def _launch(self, integration_id: str) -> None:
        try:
            self.launcher(APPLY_DEPLOYMENT, {"integration_id": integration_id}, "critical")
        except Exception as exc:
            log.info(
                "apply run for %s not started (%s); the scheduled drain will take it",
                integration_id,
                exc,
            )

    def wait(self, timeout: float = 5.0) -> None:
        """Block until queued requests went out (for tests and shutdown)."""
        self._pool.submit(lambda: None).result(timeout=timeout)
