"""Dependency checks for the health routes, each bounded in time and never raising."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import text

if TYPE_CHECKING:
    from warehouse.store import Store

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe")


def timed(check: Callable[[], Any], timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """`{"status": "ok"|"down", "latencyMs", "error"?}` for one check run under a time limit."""
    started = time.perf_counter()
    future = _pool.submit(check)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        return {"status": "down", "error": f"no answer within {timeout:.0f}s", "latencyMs": None}
    except Exception as exc:
        return {"status": "down", "error": _describe(exc), "latencyMs": None}
    return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 1)}


def store_check(store: Store) -> Callable[[], None]:
    """A round trip to the operational store."""

    def check() -> None:
        with store.engine.connect() as conn:
            conn.execute(text("select 1"))

    return check


def warehouse_check(url: str) -> Callable[[], None]:
    """A query against the warehouse."""

    def check() -> None:
        from warehouse.destinations import Warehouse

        Warehouse(url).query("select 1")

    return check


def prefect_check(api_url: str) -> Callable[[], None]:
    """The Prefect API's own health route."""

    def check() -> None:
        response = requests.get(api_url.rstrip("/") + "/health", timeout=PROBE_TIMEOUT_S)
        response.raise_for_status()

    return check


def _describe(exc: Exception) -> str:
    """The class only: driver messages carry file paths and connection strings, and the health
    routes answer anyone. The whole message goes to the service log."""
    log.warning("health check failed: %s: %s", type(exc).__name__, exc)
    return f"{type(exc).__name__} (details in the service log)"
