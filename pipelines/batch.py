"""Syncs of many integrations in one process: reads in threads, each integration holding its
lease, and the integrations whose reads ended loaded as a group."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.base import Window
from pipelines.columncheck import WarehouseColumns
from pipelines.errors import LoadFailedError, NoMappingError
from pipelines.groupload import GroupLoader
from pipelines.legacy_loaders import migrate_legacy_loaders
from pipelines.loaders import Loaders
from pipelines.outcomes import fail_unloaded
from pipelines.partread import PartPool
from pipelines.reads import mapped_resources, read_resources, reads_in_full
from pipelines.runs import IntegrationRun, SyncContext, SyncResult
from pipelines.spool import Spool, sweep_abandoned
from pipelines.windows import WindowedConnector
from warehouse.cursors import read_cursors
from warehouse.errors import WarehouseError
from warehouse.leases import IntegrationLeases

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)


class Batch:
    """Syncs of many integrations in one process: reads in threads, loads grouped.

    Each integration reads into its own spool. A group of those whose reads ended is loaded
    together: raw and core, then staging, then the group's cursors, committed in one
    transaction; then the group's sync logs and quarantine rows go to ops. A group is loaded
    once it holds `GROUP` integrations or once no read is under way, so with one read at a time
    each integration loads before the next one reads, as a plain sequence of syncs would.

    A failure is one integration's: a read that fails spools nothing of that resource; a load
    the warehouse refuses fails only the integration whose rows were refused (GroupLoader)."""

    GROUP = 200

    def __init__(
        self,
        ctx: SyncContext,
        resources: Sequence[str] | None,
        full_refresh: bool,
        window: Window | None,
        run_ids: Mapping[str, str],
    ) -> None:
        self.ctx = ctx
        self.resources = resources
        self.full_refresh = full_refresh
        self.window = window
        self.run_ids = run_ids
        self.loaders = Loaders(ctx.warehouse, ctx.dlt_dir)
        self._group = GroupLoader(ctx, self.loaders)
        self._states: dict[str, dict[str, dict[str, Any]]] = {}
        # worker processes per full read: with several integrations read at once, none (each
        # integration's pool would start processes of its own, a second each)
        self._read_processes = ctx.read_processes
        self._columns = WarehouseColumns(ctx.warehouse)
        self._leases = IntegrationLeases(ctx.warehouse)
        self._wait_for_leases = False

    def run(
        self,
        integrations: list[Integration],
        concurrency: int,
        on_start: Callable[[Integration], None] | None,
        on_result: Callable[[SyncResult], None] | None,
    ) -> list[SyncResult]:
        for swept in sweep_abandoned(self.ctx.dlt_dir / "spool"):
            log.info("deleted %s, the files of a run that ended without cleaning up", swept)
        if concurrency > 1:
            self._read_processes = 1
        prepared = time.perf_counter()
        failure = self._prepare([i.id for i in integrations])
        share = round((time.perf_counter() - prepared) / max(1, len(integrations)), 3)
        runs: list[IntegrationRun] = []
        waiting = list(reversed(integrations))
        # those another worker was syncing when their turn came: tried again at the end
        deferred: list[Any] = []
        reading: dict[Future[None], IntegrationRun] = {}
        ready: list[IntegrationRun] = []
        with (
            contextlib.closing(self._leases),
            ThreadPoolExecutor(concurrency, thread_name_prefix="intsync-read") as readers,
        ):
            while waiting or deferred or reading or ready:
                # once waiting for other workers' leases, what is read is loaded at once: a
                # lease held while waiting for another could close a circle of two workers
                if ready and (len(ready) >= self.GROUP or not reading or self._wait_for_leases):
                    self._finish(ready, on_result)
                    ready = []
                    continue
                if not waiting and deferred and not reading:
                    waiting, deferred = list(reversed(deferred)), []
                    self._wait_for_leases = True
                while waiting and len(reading) < concurrency:
                    integration = waiting.pop()
                    if not self._wait_for_leases and not self._leases.try_acquire(integration.id):
                        deferred.append(integration)
                        continue
                    run = self._start(integration, share, failure)
                    runs.append(run)
                    if on_start is not None:
                        on_start(run.integration)
                    if run.connector is None:  # nothing to read: it ends as it is
                        ready.append(run)
                    else:
                        reading[readers.submit(self._read, run)] = run
                if reading:
                    done, _ = wait(reading, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()  # _read ends every failure in the result
                        ready.append(reading.pop(future))
        order = {integration.id: n for n, integration in enumerate(integrations)}
        return [run.result for run in sorted(runs, key=lambda r: order[r.integration.id])]

    def _prepare(self, integration_ids: list[str]) -> LoadFailedError | None:
        """Read the committed cursors of every integration at once (and move what older
        builds' loaders left, once); a failure fails every integration, before it reads. On
        PostgreSQL each is read again once its lease is held (see warehouse.leases)."""
        try:
            with self.loaders.writing(()):
                migrate_legacy_loaders(
                    self.ctx.warehouse, self.ctx.dlt_dir, self.loaders.connection
                )
                self._states = self.loaders.read_cursors(integration_ids)
        except LoadFailedError as exc:
            return exc
        except WarehouseError as exc:
            return LoadFailedError(str(exc))
        return None

    def _start(
        self, integration: Integration, share: float, failure: LoadFailedError | None
    ) -> IntegrationRun:
        """A run's result, connector, resources and spool; no connector when it cannot read."""
        run_id = self.run_ids.get(integration.id) or uuid.uuid4().hex
        result = SyncResult(
            integration.id,
            integration.tenant_id,
            integration.venue_id,
            integration.provider,
            run_id,
        )
        result.seconds["prepare"] = share
        run = IntegrationRun(integration, result, datetime.now(UTC))
        connector = self.ctx.connector_factory(integration, self.ctx.store)
        if self.window is not None:
            connector = WindowedConnector(connector, self.window)
        try:
            run.names = mapped_resources(self.ctx.catalog, connector, integration, self.resources)
        except NoMappingError as exc:
            connector.close()
            result.status, result.error = "failed", str(exc)
            return run
        if failure is not None:  # the warehouse could not be read: nothing is read either
            connector.close()
            fail_unloaded(self.ctx, run, failure)
            return run
        run.connector = connector
        run.spool = Spool.temporary(self.ctx.dlt_dir / "spool", f"run-{run_id[:8]}-")
        return run

    def _read(self, run: IntegrationRun) -> None:
        """Read one integration's resources into its spool (in a reading thread)."""
        assert run.connector is not None and run.spool is not None
        integration, connector = run.integration, run.connector
        # a full read the connector can split is read by worker processes (never a window)
        pool = PartPool(1 if self.window is not None else self._read_processes)
        try:
            if self._leases.acquire(integration.id) or self.ctx.warehouse.kind == "postgres":
                # held: the cursor another worker may have committed since the batch began
                found = read_cursors(self.ctx.warehouse, [integration.id])
                self._states[integration.id] = found.get(integration.id, {})
            states = self._states.get(integration.id, {})
            if pool.usable and reads_in_full(
                self.ctx, integration, connector, run.names, self.full_refresh
            ):
                pool.start()
            with _timed(run.result, "read"):
                read_resources(
                    integration,
                    self.ctx,
                    connector,
                    run.names,
                    states,
                    self.full_refresh,
                    run.result.run_id,
                    run.spool,
                    run.result,
                    run.log_ids,
                    pool,
                    self._columns,
                )
        except Exception as exc:  # a bug or the store's failure: this integration's alone
            log.exception("reading %s failed", integration.id)
            fail_unloaded(self.ctx, run, LoadFailedError(f"the read failed: {exc}"))
        finally:
            pool.close()
            connector.close()

    def _finish(
        self, group: list[IntegrationRun], on_result: Callable[[SyncResult], None] | None
    ) -> None:
        """Load a group's rows and commit its cursors, then write and load its logs."""
        loading = [r for r in group if any(o.status == "extracted" for o in r.result.resources)]
        started = time.perf_counter()
        self._group.load(loading)
        share = round((time.perf_counter() - started) / max(1, len(loading)), 3)
        for run in loading:
            run.result.seconds["load"] = share
        started = time.perf_counter()
        self._group.end_logs(group)
        share = round((time.perf_counter() - started) / max(1, len(group)), 3)
        for run in group:
            run.result.seconds["logs"] = share
            self._leases.release(run.integration.id)
            if run.spool is not None:
                run.spool.close()
            if on_result is not None:
                on_result(run.result)


@contextlib.contextmanager
def _timed(result: SyncResult, phase: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[phase] = round(time.perf_counter() - started, 3)
