"""A full read split into creation windows, read by worker processes at the same time.

Reading is bound by Python (parsing, mapping, building Arrow pages), so one process uses one
core whatever the network allows. A connector that can split a full read (`split`, `read_part`,
`join_parts`, `recipe`) has its parts read by spawned worker processes, each with its own copy of
the connector (and an equal share of the account's rate budget) and of the compiled mappings.
The parent hands each worker parts two at a time as it finishes them; each worker writes one spool
of its own per resource (one file per table, so the warehouse loads a few large files rather than
many small ones), which the run's spool adopts at the end. Spawned at the first split read, the
workers serve every split resource of the sync. The cursor the parts join to is the one a serial read would have left.
Nothing here touches the warehouse: the loads stay in the parent, in the usual order.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.common.splits import Recipe, Split
from pipelines.collector import fewer_collections
from pipelines.errors import ReadFailedError
from pipelines.extract import ResourceOutcome, ResourceReader
from pipelines.prefetch import prefetched
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
    """The worker processes of one sync: started on the first split read, used for every split
    resource of the sync, stopped with `close`."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._workers: list[_Worker] = []
        self._replies: Any = None
        self._jobs = 0

    @property
    def usable(self) -> bool:
        """Whether to split at all: two or more processes, and a process allowed children (a
        daemonic one, such as a multiprocessing pool's worker, is not)."""
        return self.processes > 1 and not multiprocessing.current_process().daemon

    @property
    def parts(self) -> int:
        """How many parts to cut a full read into."""
        return self.processes * PARTS_PER_PROCESS

    def start(self) -> None:
        """Spawn the workers (each imports what reading needs, then waits for a job)."""
        if self._workers or not self.usable:
            return
        context = multiprocessing.get_context("spawn")
        self._replies = context.Queue()
        for number in range(self.processes):
            inbox = context.Queue()
            process = context.Process(
                target=_serve,
                args=(number, inbox, self._replies, os.getpid()),
                name=f"intsync-read-{number}",
                daemon=True,
            )
            process.start()
            self._workers.append(_Worker(number, process, inbox))

    def read(
        self, reader: ResourceReader, connector: Any, split: Split, outcome: ResourceOutcome
    ) -> None:
        """Read every part of `split` in the workers into the reader's spool; the outcome gets
        the joined counts, notes and cursor. The first failure stops every worker (the next
        split read starts new ones) and is raised here."""
        job = PartJob(
            resource=reader.resource,
            recipe=connector.recipe(share=1 / self.processes),
            specs=[(m.spec, m.hash_salt) for m in reader.mappings],
            context=reader.context,
            id_key=reader.id_key,
            spool_root=reader.spool.root / f"parts-{reader.resource}",
            keep_ids=reader.live_ids is not None,
        )
        self.start()
        self._jobs += 1
        try:
            summaries, results = _Dispatch(self._workers, self._replies, split.parts, reader).run(
                self._jobs, job
            )
        except BaseException:
            self.close()
            raise
        for result in results:
            reader.adopt(result.tables, result.outcome, result.ids, outcome)
        outcome.notes.extend(split.notes)
        outcome.cursor_after = connector.join_parts(reader.resource, split, summaries)

    def close(self) -> None:
        """Stop the workers."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.inbox.put(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()
        self._workers = []


@dataclass
class _Worker:
    number: int
    process: Any
    inbox: Any
    outstanding: int = 0


class _Dispatch:
    """Hands one split's parts to the workers, two at a time each (one being read, one
    waiting), and gathers what they send back."""

    def __init__(
        self, workers: list[_Worker], replies: Any, parts: list[dict[str, Any]], reader: Any
    ) -> None:
        self.workers = workers
        self.replies = replies
        self.pending = list(enumerate(parts))[::-1]
        self.summaries: list[dict[str, Any]] = [{} for _ in parts]
        self.results: list[WorkerResult] = []
        self.reader = reader

    def run(self, job_id: int, job: PartJob) -> tuple[list[dict[str, Any]], list[WorkerResult]]:
        """Each part's summary (by index) and each worker's result."""
        for worker in self.workers:
            worker.outstanding = 0
            worker.inbox.put(("job", job_id, job))
            self._feed(worker)
        extracted = 0
        while len(self.results) < len(self.workers):
            try:
                kind, *body = self.replies.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _check_alive([w.process for w in self.workers], self.reader)
                continue
            if kind == "rows":
                extracted += body[0]
                if self.reader.on_page is not None:
                    self.reader.on_page(self.reader.resource, extracted)
            elif kind == "part":
                number, index, summary = body
                self.summaries[index] = summary
                worker = self.workers[number]
                worker.outstanding -= 1
                self._feed(worker)
            elif kind == "done":
                self.results.append(body[0])
            else:  # "error": the worker's exception, raised as if read here
                raise body[0]
        return self.summaries, self.results

    def _feed(self, worker: _Worker) -> None:
        while worker.outstanding < 2 and self.pending:
            worker.inbox.put(("part", *self.pending.pop()))
            worker.outstanding += 1
        if worker.outstanding == 0:
            worker.inbox.put(("finish",))


def _check_alive(processes: list[Any], reader: ResourceReader) -> None:
    """Fail when a worker died, or every worker ended without reporting all it owed."""
    dead = [p for p in processes if p.exitcode not in (None, 0)]
    if not dead and any(p.exitcode is None for p in processes):
        return
    which = dead[0] if dead else processes[0]
    raise ReadFailedError(
        f"{_job_name(reader)}: worker process {which.name} ended (exit code {which.exitcode}) "
        "before reporting what it read: run the sync again (INTSYNC_READ_PROCESSES=1 reads in "
        "one process)"
    )


def _job_name(reader: ResourceReader) -> str:
    """How messages name the resource a split read is for."""
    return f"{reader.context.get('provider')} {reader.resource}"


# -- in the worker ---------------------------------------------------------------------------


def _serve(number: int, inbox: Any, replies: Any, parent: int) -> None:
    """A worker's life (in a spawned process): take a job, read the parts it is given, hand
    over its spooled tables when told the job is finished; until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    threading.Thread(target=_exit_with, args=(parent,), name="intsync-parent", daemon=True).start()
    with fewer_collections():
        reading: _Reading | None = None
        while (message := inbox.get()) is not None:
            try:
                if message[0] == "job":
                    reading = _Reading(message[2], number)
                elif message[0] == "part":
                    assert reading is not None
                    summary = reading.part(message[2], replies)
                    replies.put(("part", number, message[1], summary))
                else:  # "finish"
                    assert reading is not None
                    replies.put(("done", reading.finish()))
                    reading = None
            except BaseException as exc:  # handed to the parent, raised there
                replies.put(("error", _picklable(exc)))
                reading = None


class _Reading:
    """One worker's share of one split read: its connector, mappings and spool."""

    def __init__(self, job: PartJob, number: int) -> None:
        from mappings.compiler import CompiledMapping

        self.job = job
        self.connector = job.recipe.build()
        mappings = [CompiledMapping(spec, salt) for spec, salt in job.specs]
        self.spool = Spool(job.spool_root / f"worker-{number}")
        self.reader = ResourceReader(
            job.resource, mappings, job.context, self.spool, id_key=job.id_key
        )
        self.outcome = ResourceOutcome(job.resource, cursor_before={})

    def part(self, part: dict[str, Any], replies: Any) -> dict[str, Any]:
        """Read one part into the spool, reporting rows as they come; the part's summary."""
        summary: dict[str, Any] = {}
        pages = self.connector.read_part(self.job.resource, part)
        for page in prefetched(pages):  # the next page arrives while this one is mapped
            if page.state is not None:
                summary, page.state = page.state, None
            before = self.outcome.rows_extracted
            self.reader.take(page, self.outcome)
            replies.put(("rows", self.outcome.rows_extracted - before))
        return summary

    def finish(self) -> WorkerResult:
        """Close the connector and the spool: what this worker read of the job."""
        self.connector.close()
        ids = self.reader.seen_ids() if self.job.keep_ids else None
        return WorkerResult(self.spool.finish(), self.outcome, ids)


def _picklable(exc: BaseException) -> BaseException:
    """`exc`, or a ReadFailedError saying what it was when it cannot cross to the parent."""
    try:
        pickle.dumps(exc)
    except Exception:
        return ReadFailedError(f"reading in a worker process failed: {type(exc).__name__}: {exc}")
    return exc


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone (killed, say): nobody would take its pages."""
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)
