"""The SyncContext flows run with: built once per process from the environment, or installed."""

from __future__ import annotations

import threading

from pipelines.context import build_sync_context
from pipelines.runs import SyncContext

_lock = threading.Lock()
_context: SyncContext | None = None


def sync_context() -> SyncContext:
    """This process's SyncContext: the one installed with `use_context`, else one built from
    the INTSYNC_* environment on first use."""
    global _context
    with _lock:
        if _context is None:
            from intsync.config import load_settings

            _context = build_sync_context(load_settings())
        return _context


def use_context(ctx: SyncContext | None) -> None:
    """Install the SyncContext flows in this process use (None: build from the environment)."""
    global _context
    with _lock:
        _context = ctx
