"""One sync of an integration at a time, across workers: on PostgreSQL, a session advisory lock
per integration, held from reading its cursor to committing the next one.

A second worker asking for an integration another one is syncing waits for it, then reads the
cursor the first committed, so it reads only what is new and loads no version of a record twice.
The server frees the locks of a worker that dies with its connection. On DuckDB (one machine,
and every load already waits for the one before) there is nothing to hold.
"""

from __future__ import annotations

import threading
from typing import Any

from warehouse.destinations import Warehouse, lock_key, postgres_dsn
from warehouse.errors import WarehouseError


class IntegrationLeases:
    """The integrations this process is syncing, each held until `release`."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._mutex = threading.Lock()
        self._shared: Any = None  # one connection holds every lease taken without waiting
        self._own: dict[str, Any] = {}  # a lease waited for holds a connection of its own
        self._held: set[str] = set()

    def try_acquire(self, integration_id: str) -> bool:
        """Hold the integration's lease if no other worker holds it; whether it is held."""
        if self.warehouse.kind != "postgres" or integration_id in self._held:
            return True
        key = lock_key(f"intsync sync {integration_id}")
        with self._mutex:
            if self._shared is None:
                self._shared = self._connect()
            cur = self._shared.cursor()
            cur.execute("select pg_try_advisory_lock(%s)", (key,))
            if cur.fetchone()[0]:
                self._held.add(integration_id)
                return True
        return False

    def acquire(self, integration_id: str) -> bool:
        """Hold the integration's lease, waiting while another worker holds it; whether it had
        to wait (its cursor may have moved meanwhile)."""
        if self.try_acquire(integration_id):
            return False
        key = lock_key(f"intsync sync {integration_id}")
        own = self._connect()
        try:  # waits as long as the other worker syncs, whatever timeouts the server sets
            own.cursor().execute(
                "set lock_timeout = 0; set statement_timeout = 0; select pg_advisory_lock(%s)",
                (key,),
            )
        except Exception:
            own.close()
            raise
        with self._mutex:
            self._own[integration_id] = own
        return True

    def release(self, integration_id: str) -> None:
        """Let another worker sync the integration."""
        with self._mutex:
            own = self._own.pop(integration_id, None)
            if own is not None:
                own.close()  # the server frees the lock with the session
            elif integration_id in self._held and self._shared is not None:
                key = lock_key(f"intsync sync {integration_id}")
                self._shared.cursor().execute("select pg_advisory_unlock(%s)", (key,))
            self._held.discard(integration_id)

    def close(self) -> None:
        """Release every lease."""
        with self._mutex:
            for own in self._own.values():
                own.close()
            self._own.clear()
            if self._shared is not None:
                self._shared.close()
                self._shared = None
            self._held.clear()

    def _connect(self) -> Any:
        import psycopg2

        try:
            con = psycopg2.connect(postgres_dsn(self.warehouse.url))
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot reach the warehouse to hold a sync: {exc}") from exc
        con.autocommit = True
        return con
