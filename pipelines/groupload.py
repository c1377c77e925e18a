"""Loading a group of integrations' spools together: raw and core, then staging, then their
cursors in one transaction; then their sync logs end and go to ops with the quarantine rows."""

from __future__ import annotations

import logging
from typing import Any

from pipelines.errors import LoadFailedError, LoadRefusedError
from pipelines.loaders import Loaders
from pipelines.opslog import spool_sync_logs
from pipelines.outcomes import check_completeness, fail_loaded, log_ends, settle_status
from pipelines.quarantine import settle_quarantines
from pipelines.runs import IntegrationRun, SyncContext
from pipelines.spool import Spool
from warehouse.cursors import Cursor

log = logging.getLogger(__name__)


class GroupLoader:
    """Loads groups of runs whose reads ended (see pipelines.batch.Batch). A load the warehouse
    refuses is tried again per integration, so that only the one whose rows were refused fails
    (the others' rows and cursors commit)."""

    def __init__(self, ctx: SyncContext, loaders: Loaders) -> None:
        self.ctx = ctx
        self.loaders = loaders

    def load(self, runs: list[IntegrationRun]) -> None:
        """Raw and core, then staging, then the cursors; a refused load is tried again per
        integration, and an integration that fails a step is left out of the next ones."""
        for datasets in (("raw", "core"), ("staging",)):
            runs = self._load_step(runs, datasets)
        if not runs:
            return
        cursors = [
            Cursor(
                r.integration.id,
                o.resource,
                r.integration.venue_id,
                o.cursor_after,
                r.result.run_id,
            )
            for r in runs
            for o in r.result.resources
            if o.status == "extracted" and o.cursor_after
        ]
        try:
            with self.loaders.writing(("staging",)):
                self.loaders.commit_cursors(cursors)
        except LoadFailedError as exc:
            for run in runs:
                fail_loaded(run, exc)
            return
        for run in runs:
            for outcome in run.result.resources:
                if outcome.status == "extracted":
                    outcome.status = "success"
                    check_completeness(outcome)

    def end_logs(self, group: list[IntegrationRun]) -> None:
        """Settle each run's status and end its sync logs (an integration that succeeded is
        active again), then load the logs and quarantined rows into ops."""
        finishes = []
        for run in group:
            settle_status(run.result)
            finishes += log_ends(self.ctx, run)
        self.ctx.store.finish_sync_logs(finishes)
        for run in group:
            if run.result.ok and run.integration.status != "active":
                self.ctx.store.set_integration_status(run.integration.id, "active", None)
        self._load_logs([r for r in group if r.spool is not None])

    def _load_step(
        self, runs: list[IntegrationRun], datasets: tuple[str, ...]
    ) -> list[IntegrationRun]:
        """Load `datasets` of these runs' spools together; the runs whose rows are in."""
        try:
            self._load_spools(runs, datasets)
            return runs
        except LoadRefusedError as exc:
            if len(runs) == 1:
                fail_loaded(runs[0], exc)
                return []
        except LoadFailedError as exc:  # the warehouse's trouble, not one integration's
            for run in runs:
                fail_loaded(run, exc)
            return []
        log.warning(
            "the warehouse refused a load of %d integrations: loading each alone", len(runs)
        )
        loaded = []
        for run in runs:
            try:
                self._load_spools([run], datasets)
                loaded.append(run)
            except LoadFailedError as exc:
                fail_loaded(run, exc)
        return loaded

    def _load_spools(self, runs: list[IntegrationRun], datasets: tuple[str, ...]) -> None:
        spools = [r.spool for r in runs if r.spool is not None]
        with self.loaders.writing(datasets):
            self.loaders.load(spools, datasets)

    def _load_logs(self, runs: list[IntegrationRun]) -> None:
        """The group's sync logs and quarantined rows into ops, then close the quarantine rows
        of the records that now map (last: a run that dies before leaves its records in raw, so
        `intsync remap` can quarantine them again)."""
        logs = Spool.temporary(self.ctx.dlt_dir / "spool", "logs-")
        try:
            log_ids = [log_id for run in runs for log_id in run.log_ids.values()]
            spool_sync_logs(self.ctx.store, log_ids, logs)
            spools = [logs, *(run.spool for run in runs if run.spool is not None)]
            with self.loaders.writing(("ops",)):
                self.loaders.load(spools, ("ops",))
                settle_quarantines(
                    self.ctx.warehouse,
                    [
                        (run.integration, self._mapped(run), run.started)
                        for run in runs
                        if run.result.resources
                    ],
                )
        except LoadFailedError as exc:  # the store keeps the master copy of the logs
            log.warning("could not load ops.sync_logs and ops.quarantine: %s", exc)
        finally:
            logs.close()

    def _mapped(self, run: IntegrationRun) -> list[Any]:
        """The compiled mappings of the resources the run loaded."""
        return [
            m
            for o in run.result.resources
            if o.status == "success"
            for m in self.ctx.catalog.compiled_for(
                run.integration.provider, o.resource, run.integration.venue_id
            )
        ]
