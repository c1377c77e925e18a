"""A cap on crash reruns. The rerun automation (flows/setup.py) sets a Crashed run of ours back to
Scheduled, and Prefect counts every entry into Running in the run's `run_count`; our flows have no
flow-level retries, so `run_count - 1` is how many times this run was rerun after a crash. Past
MAX_CRASH_RERUNS the run dead-letters its own work and fails (Failed is not rerun), instead of
being rerun forever."""

from __future__ import annotations

import os
from typing import Any

from prefect.runtime import flow_run

from flows.runtime import sync_context

MAX_CRASH_RERUNS = 3


class TooManyCrashesError(Exception):
    """The run crashed too often; its work is in the dead letters. Not retried."""

    retriable = False


def max_crash_reruns() -> int:
    """INTSYNC_MAX_CRASH_RERUNS, else MAX_CRASH_RERUNS."""
    raw = os.environ.get("INTSYNC_MAX_CRASH_RERUNS") or str(MAX_CRASH_RERUNS)
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(
            f"INTSYNC_MAX_CRASH_RERUNS={raw!r}: expected a whole number of reruns, e.g. 3"
        ) from None


def crash_reruns() -> int:
    """How many times this flow run was rerun after a crash (0 on its first run)."""
    return max(0, int(flow_run.run_count or 0) - 1)


def give_up_after_crashes(kind: str, integration_id: str | None, payload: dict[str, Any]) -> None:
    """At the start of a flow: when this run was rerun after crashes more than the cap, put its
    work (`kind`, `payload`, as `intsync dlq replay` takes it) in the dead letters and raise
    TooManyCrashesError."""
    reruns, cap = crash_reruns(), max_crash_reruns()
    if reruns <= cap:
        return
    reason = (
        f"flow run {flow_run.get_id()} crashed and was rerun {reruns} times (cap {cap}, "
        "INTSYNC_MAX_CRASH_RERUNS): look at its worker's logs, then `intsync dlq replay`"
    )
    sync_context().store.add_dead_letter(
        kind=kind,
        integration_id=integration_id,
        payload=payload,
        reason=reason,
        attempts=reruns + 1,
    )
    raise TooManyCrashesError(reason)
