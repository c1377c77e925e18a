"""Which task failures Prefect retries, and how long it waits: our error classes decide.

Prefect 3.9.1 applies `retry_jitter_factor` to task retry delays (prefect/task_engine.py passes
each delay through `clamped_poisson_interval`), so exponential backoff plus jitter is Prefect's own.
"""

from __future__ import annotations

import os
from typing import Any

from prefect.tasks import exponential_backoff

from pipelines.errors import Failure

DEFAULT_RETRIES = 3
DEFAULT_BASE_DELAY = 10.0
JITTER_FACTOR = 0.5


class ResourceFailedError(Exception):
    """One resource's extract-and-load failed; `failure` says why (None: not known)."""

    def __init__(self, resource: str, failure: Failure | None, message: str | None) -> None:
        error_class = failure.error_class if failure is not None else None
        super().__init__(f"{resource}: {error_class or 'failure'}: {message or 'no detail'}")
        self.resource = resource
        self.failure = failure
        self.error_class = error_class
        self.retriable = failure is not None and failure.retriable


def failure_of(error: object) -> Failure:
    """What a failed task's error is: the failure it carries, else the error itself."""
    if isinstance(error, ResourceFailedError) and error.failure is not None:
        return error.failure
    if isinstance(error, BaseException):
        return Failure.of(error)
    return Failure(type(error).__name__)


def retry_options() -> dict[str, Any]:
    """Task options: INTSYNC_TASK_RETRIES retries, exponential from INTSYNC_RETRY_BASE_SECONDS,
    jittered, only for retriable failures."""
    retries = int(os.environ.get("INTSYNC_TASK_RETRIES") or DEFAULT_RETRIES)
    base = float(os.environ.get("INTSYNC_RETRY_BASE_SECONDS") or DEFAULT_BASE_DELAY)
    return {
        "retries": retries,
        "retry_delay_seconds": exponential_backoff(backoff_factor=base)(max(retries, 1)),
        "retry_jitter_factor": JITTER_FACTOR,
        "retry_condition_fn": worth_retrying,
    }


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry condition: retry only errors whose class says `retriable`."""
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as raised:  # noqa: BLE001 - the state's stored exception
            exc = raised
    return failure_of(exc).retriable
