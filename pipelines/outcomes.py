"""How a resource's outcome ends: failed (read, unloaded or not loaded), checked for
completeness, settled into its run's status, and written as the end of its sync log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from pipelines.drift import new_field_notes
from pipelines.errors import Failure, LoadFailedError
from pipelines.extract import ResourceOutcome
from pipelines.runs import IntegrationRun, SyncContext, SyncResult
from warehouse.store.sync_logs import LogFinish

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)


def fail(outcome: ResourceOutcome, exc: Exception) -> None:
    """The resource failed with `exc`: no cursor moves."""
    outcome.status = "failed"
    outcome.error_class = type(exc).__name__
    outcome.failure = Failure.of(exc)
    outcome.error_message = str(exc)
    outcome.cursor_after = None


def fail_unloaded(ctx: SyncContext, run: IntegrationRun, exc: LoadFailedError) -> None:
    """The run cannot load: every resource read fails with `exc`, and so does each one not read
    yet, each with its log."""
    for outcome in run.result.resources:
        if outcome.status != "failed":
            fail(outcome, exc)
    read = {outcome.resource for outcome in run.result.resources}
    for name in run.names:
        if name not in read:
            run.log_ids[name] = ctx.store.start_sync_log(
                integration=run.integration,
                resource=name,
                run_id=run.result.run_id,
                cursor_before=None,
            )
            outcome = ResourceOutcome(name, cursor_before={})
            fail(outcome, exc)
            run.result.resources.append(outcome)


def fail_loaded(run: IntegrationRun, exc: LoadFailedError) -> None:
    """The run's rows did not load: every resource it read fails with `exc`."""
    for outcome in run.result.resources:
        if outcome.status == "extracted":
            fail(outcome, exc)


def check_completeness(outcome: ResourceOutcome) -> None:
    """A warning note when fewer rows were read than the provider reports."""
    if outcome.expected_total is not None and outcome.rows_extracted < outcome.expected_total:
        outcome.notes.append(
            f"warning: completeness: read {outcome.rows_extracted} of the "
            f"{outcome.expected_total} the provider reports "
            f"({outcome.expected_total - outcome.rows_extracted} missing)"
        )


def settle_status(result: SyncResult) -> None:
    """The run succeeded if every resource did; else it failed with the first error."""
    result.status = "success" if all(o.status == "success" for o in result.resources) else "failed"
    if result.status == "failed" and result.error is None:
        result.error = next((o.error_message for o in result.resources if o.error_message), None)


def log_ends(ctx: SyncContext, run: IntegrationRun) -> list[LogFinish]:
    """How the run's sync logs end (with a note of the new fields no spec maps)."""
    result = run.result
    for outcome in result.resources:
        if outcome.status == "success" and outcome.fields:
            outcome.notes += _new_fields(ctx, run.integration, outcome, result.run_id)
    return [
        LogFinish(
            run.log_ids[outcome.resource],
            status=outcome.status,
            rows_extracted=outcome.rows_extracted,
            rows_loaded=outcome.rows_loaded if outcome.status == "success" else 0,
            rows_deleted=outcome.rows_deleted if outcome.status == "success" else 0,
            rows_quarantined=outcome.rows_quarantined,
            cursor_after=cursor_text(outcome.cursor_after),
            error_class=outcome.error_class,
            error_message=outcome.error_message,
            details={"notes": outcome.notes, "expected_total": outcome.expected_total},
        )
        for outcome in result.resources
        if outcome.resource in run.log_ids
    ]


def _new_fields(
    ctx: SyncContext, integration: Integration, outcome: ResourceOutcome, run_id: str
) -> list[str]:
    """The drift note of a resource read and loaded (its fields are then let go)."""
    specs = [
        m.spec
        for m in ctx.catalog.compiled_for(
            integration.provider, outcome.resource, integration.venue_id
        )
    ]
    fields, outcome.fields = outcome.fields, set()
    try:
        return new_field_notes(ctx.store, integration, outcome.resource, fields, specs, run_id)
    except Exception as exc:  # the store's or a spec's: the sync itself succeeded
        log.warning("could not compare the fields of %s: %s", outcome.resource, exc)
        return []


def cursor_text(state: dict[str, Any] | None) -> str | None:
    """A cursor state as a sync log keeps it (sorted JSON), None for none."""
    return None if state is None else orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()
