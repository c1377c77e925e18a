"""A full read split into creation windows, read by worker processes at the same time.

Reading is bound by Python (parsing, mapping, building Arrow pages), so one process uses one
core whatever the network allows. A connector that can split a full read (`split`, `read_part`,
`join_parts`, `recipe`) has its parts read by spawned worker processes, each with its own copy of
the connector (and an equal share of the account's rate budget) and of the compiled mappings.
Workers take parts from one queue until it is empty, each writing one spool of its own (one file
per table, so the warehouse loads a few large files rather than many small ones), which the run's
spool adopts at the end. The cursor the parts join to is the one a serial read would have left.
Nothing here touches the warehouse: the loads stay in the parent, in the usual order.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.common.splits import Recipe, Split
from pipelines.collector import fewer_collections
from pipelines.errors import ReadFailedError
from pipelines.extract import ResourceOutcome, ResourceReader
from pipelines.spool import Spool, SpooledTable

# Windows per worker process: enough that a busy stretch of time does not leave one worker alone.
PARTS_PER_PROCESS = 8
# How long the parent waits for any word from the workers before checking they are alive.
POLL_SECONDS = 1.0


@dataclass
class PartJob:
    """What a worker needs to read parts of one resource (picklable)."""

    resource: str
    recipe: Recipe
    specs: list[tuple[Any, bytes]]  # (spec, hash salt) of every mapping of the resource
    context: dict[str, Any]
    id_key: str
    spool_root: Path
    keep_ids: bool


@dataclass
class WorkerResult:
    """What one worker read, over all the parts it took."""

    tables: list[SpooledTable]
    outcome: ResourceOutcome
    ids: list[str] | None


class PartPool:
    """How many worker processes a split read uses."""

    def __init__(self, processes: int) -> None:
        self.processes = processes

    @property
    def usable(self) -> bool:
        """Whether to split at all: two or more processes, and a process allowed children (a
        daemonic one, such as a multiprocessing pool's worker, is not)."""
        return self.processes > 1 and not multiprocessing.current_process().daemon

    @property
    def parts(self) -> int:
        """How many parts to cut a full read into."""
        return self.processes * PARTS_PER_PROCESS

    def read(
        self, reader: ResourceReader, connector: Any, split: Split, outcome: ResourceOutcome
    ) -> None:
        """Read every part of `split` in worker processes into the reader's spool; the outcome
        gets the joined counts, notes and cursor. The first failure stops every worker and is
        raised here."""
        job = PartJob(
            resource=reader.resource,
            recipe=connector.recipe(share=1 / self.processes),
            specs=[(m.spec, m.hash_salt) for m in reader.mappings],
            context=reader.context,
            id_key=reader.id_key,
            spool_root=reader.spool.root / f"parts-{reader.resource}",
            keep_ids=reader.live_ids is not None,
        )
        workers = min(self.processes, len(split.parts))
        summaries, results = _run_workers(job, split.parts, workers, reader)
        for result in results:
            reader.adopt(result.tables, result.outcome, result.ids, outcome)
        outcome.notes.extend(split.notes)
        outcome.cursor_after = connector.join_parts(reader.resource, split, summaries)


def _run_workers(
    job: PartJob, parts: list[dict[str, Any]], workers: int, reader: ResourceReader
) -> tuple[list[dict[str, Any]], list[WorkerResult]]:
    """Each part's summary (by index) and each worker's result."""
    context = multiprocessing.get_context("spawn")
    tasks: Any = context.Queue()
    replies: Any = context.Queue()
    for index, part in enumerate(parts):
        tasks.put((index, part))
    for _ in range(workers):
        tasks.put(None)
    processes = [
        context.Process(
            target=_work,
            args=(job, n, tasks, replies, os.getpid()),
            name=f"intsync-read-{n}",
            daemon=True,
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    summaries: list[dict[str, Any]] = [{} for _ in parts]
    results: list[WorkerResult] = []
    try:
        _gather(processes, replies, summaries, results, reader)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    return summaries, results


def _gather(
    processes: list[Any],
    replies: Any,
    summaries: list[dict[str, Any]],
    results: list[WorkerResult],
    reader: ResourceReader,
) -> None:
    done, extracted = 0, 0
    while done < len(processes):
        try:
            kind, *body = replies.get(timeout=POLL_SECONDS)
        except queue.Empty:
            _check_alive(processes, reader)
            continue
        if kind == "rows":
            extracted += body[0]
            if reader.on_page is not None:
                reader.on_page(reader.resource, extracted)
        elif kind == "part":
            summaries[body[0]] = body[1]
        elif kind == "done":
            results.append(body[0])
            done += 1
        else:  # "error": the worker's exception, raised as if read here
            raise body[0]


def _check_alive(processes: list[Any], reader: ResourceReader) -> None:
    """Fail when a worker died, or every worker ended without reporting all it owed."""
    dead = [p for p in processes if p.exitcode not in (None, 0)]
    if not dead and any(p.exitcode is None for p in processes):
        return
    which = dead[0] if dead else processes[0]
    raise ReadFailedError(
        f"{job_name(reader)}: worker process {which.name} ended (exit code {which.exitcode}) "
        "before reporting what it read: run the sync again (INTSYNC_READ_PROCESSES=1 reads in "
        "one process)"
    )


def job_name(reader: ResourceReader) -> str:
    """How messages name the resource a split read is for."""
    return f"{reader.context.get('provider')} {reader.resource}"


# -- in the worker ---------------------------------------------------------------------------


def _work(job: PartJob, number: int, tasks: Any, replies: Any, parent: int) -> None:
    """Read parts from `tasks` until the end marker; report every page and part, then the
    worker's spooled tables (runs in a spawned process)."""
    threading.Thread(target=_exit_with, args=(parent,), name="intsync-parent", daemon=True).start()
    try:
        with fewer_collections():
            replies.put(("done", _read_parts(job, number, tasks, replies)))
    except BaseException as exc:  # handed to the parent, raised there
        replies.put(("error", _picklable(exc)))


def _picklable(exc: BaseException) -> BaseException:
    """`exc`, or a ReadFailedError saying what it was when it cannot cross to the parent."""
    try:
        pickle.dumps(exc)
    except Exception:
        return ReadFailedError(f"reading in a worker process failed: {type(exc).__name__}: {exc}")
    return exc


def _read_parts(job: PartJob, number: int, tasks: Any, replies: Any) -> WorkerResult:
    from mappings.compiler import CompiledMapping

    connector = job.recipe.build()
    mappings = [CompiledMapping(spec, salt) for spec, salt in job.specs]
    spool = Spool(job.spool_root / f"worker-{number}")
    reader = ResourceReader(job.resource, mappings, job.context, spool, id_key=job.id_key)
    outcome = ResourceOutcome(job.resource, cursor_before={})
    try:
        while (task := tasks.get()) is not None:
            index, part = task
            summary: dict[str, Any] = {}
            for page in connector.read_part(job.resource, part):
                if page.state is not None:
                    summary, page.state = page.state, None
                before = outcome.rows_extracted
                reader.take(page, outcome)
                replies.put(("rows", outcome.rows_extracted - before))
            replies.put(("part", index, summary))
    finally:
        connector.close()
    return WorkerResult(spool.finish(), outcome, reader.seen_ids() if job.keep_ids else None)


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone (killed, say): nobody would take its pages."""
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)
