"""The Prefect objects prefect.yaml does not create, made idempotently: the `integrations` process
work pool and its four queues, one global concurrency limit per provider account, and the
automation that reruns flow runs whose worker died."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flows.limits import account_limit, limit_name

if TYPE_CHECKING:
    from warehouse.store import Integration

POOL = "integrations"
DEAD_AUTOMATION = "intsync: crash flow runs whose worker died"
RERUN_AUTOMATION = "intsync: rerun crashed flow runs"
FLOWS = (
    "sync-integration",
    "sync-batch",
    "sync-due",
    "apply-webhook-events",
    "backfill",
    "clean-up",
)


@dataclass(frozen=True)
class Queue:
    """A work queue: lower priority numbers are served first; limit None is unbounded."""

    name: str
    priority: int
    limit: int | None
    purpose: str


def queues(normal_limit: int = 6, low_limit: int = 2) -> list[Queue]:
    """The four queues. `normal` and `low` are capped so that scheduled syncs and backfills never
    take every slot: webhook batches (`critical`) and user syncs (`high`) always find room."""
    return [
        Queue("critical", 1, None, "webhook event batches"),
        Queue("high", 2, None, "user-initiated syncs"),
        Queue("normal", 3, normal_limit, "scheduled syncs"),
        Queue("low", 4, low_limit, "backfills, batch work and clean-up"),
    ]


def ensure_pool(client: Any, wanted: list[Queue]) -> list[str]:
    """Create the process pool and its queues, or bring their priorities and limits in line."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    done: list[str] = []
    try:
        client.read_work_pool(POOL)
    except ObjectNotFound:
        template = ProcessWorker.get_default_base_job_template()
        client.create_work_pool(
            WorkPoolCreate(name=POOL, type="process", base_job_template=template)
        )
        done.append(f"created work pool {POOL}")
    for queue in wanted:
        try:
            found = client.read_work_queue_by_name(queue.name, work_pool_name=POOL)
        except ObjectNotFound:
            client.create_work_queue(
                name=queue.name,
                description=queue.purpose,
                priority=queue.priority,
                concurrency_limit=queue.limit,
                work_pool_name=POOL,
            )
            done.append(f"created queue {queue.name} (priority {queue.priority})")
            continue
        if found.priority != queue.priority or found.concurrency_limit != queue.limit:
            client.update_work_queue(
                found.id, priority=queue.priority, concurrency_limit=queue.limit
            )
            done.append(f"updated queue {queue.name}")
    return done


def ensure_account_limits(client: Any, integrations: Iterable[Integration]) -> list[str]:
    """One global concurrency limit per provider account (sizes from flows.limits)."""
    done: list[str] = []
    for name, size in sorted(
        {limit_name(i): account_limit(i.provider) for i in integrations}.items()
    ):
        client.upsert_global_concurrency_limit_by_name(name, size)
        done.append(f"limit {name} = {size}")
    return done


def _ours() -> dict[str, Any]:
    return {"prefect.resource.role": "flow", "prefect.resource.name": list(FLOWS)}


def ensure_rerun_automation(client: Any, within_seconds: float) -> list[str]:
    """Two automations: a flow run of ours silent (no heartbeat, no final state) for
    `within_seconds` is marked Crashed (a finished run cannot be: Prefect refuses Crashed after
    a final state); a Crashed run of ours goes back to Scheduled, so any worker reruns it and
    its tasks resume from dlt state."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    silent = EventTrigger(
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=_ours(),
        after={"prefect.flow-run.heartbeat"},
        expect={
            "prefect.flow-run.heartbeat",
            "prefect.flow-run.Completed",
            "prefect.flow-run.Failed",
            "prefect.flow-run.Cancelled",
            "prefect.flow-run.Crashed",
        },
        for_each={"prefect.resource.id"},
        posture=Posture.Proactive,
        threshold=1,
        within=timedelta(seconds=within_seconds),
    )
    crashed = EventTrigger(
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=_ours(),
        expect={"prefect.flow-run.Crashed"},
        for_each={"prefect.resource.id"},
        posture=Posture.Reactive,
        threshold=1,
    )
    wanted = [
        AutomationCore(
            name=DEAD_AUTOMATION,
            description="Marks intsync flow runs whose worker stopped sending heartbeats Crashed.",
            trigger=silent,
            actions=[
                ChangeFlowRunState(state=StateType.CRASHED, message="no heartbeat: worker died")
            ],
        ),
        AutomationCore(
            name=RERUN_AUTOMATION,
            description="Reruns crashed intsync flow runs on any worker.",
            trigger=crashed,
            actions=[
                ChangeFlowRunState(
                    state=StateType.SCHEDULED, name="AwaitingRerun", message="rerun after a crash"
                )
            ],
        ),
    ]
    done: list[str] = []
    for automation in wanted:
        existing = client.read_automations_by_name(automation.name)
        if existing:
            client.update_automation(existing[0].id, automation)
            done.append(f"updated automation {automation.name!r}")
        else:
            client.create_automation(automation)
            done.append(f"created automation {automation.name!r}")
    return done


def setup(
    integrations: Iterable[Integration],
    *,
    normal_limit: int = 6,
    low_limit: int = 2,
    rerun_after: float = 180.0,
) -> list[str]:
    """Everything above against the configured Prefect API; what was done, one line each."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        done = ensure_pool(client, queues(normal_limit, low_limit))
        done += ensure_account_limits(client, integrations)
        done += ensure_rerun_automation(client, rerun_after)
    return done
