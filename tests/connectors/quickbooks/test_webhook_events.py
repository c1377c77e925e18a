"""Signed QuickBooks webhooks carry ids only: the entities they name are fetched and merged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.quickbooks import webhooks
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.sandbox import SandboxServer
from pipelines.connectors import build_connector
from pipelines.events import apply_webhook_events
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from pipelines.sync import sync_integration
from tests.connectors.quickbooks.conftest import REALM
from warehouse.destinations import Warehouse

VERIFIER = "verifier-for-tests"


class Receiver:
    """A webhook endpoint that keeps the signature and body of each delivery."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.got.append((environ.get("HTTP_INTUIT_SIGNATURE", ""), body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with SandboxServer(app) as server:
        yield app, server.url + "/hook"


@pytest.fixture
def ctx(store, tmp_path: Path) -> SyncContext:
    return SyncContext(
        store=store,
        warehouse=Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        catalog=MappingCatalog(),
        dlt_dir=tmp_path / "dlt",
        connector_factory=build_connector,
    )


@pytest.mark.slow
@pytest.mark.parametrize("form", ["legacy", "cloudevents"])
def test_webhook_changes_are_fetched_and_merged(
    qb_sandbox: QuickBooksSandbox,
    qb_server: SandboxServer,
    receiver: tuple[Receiver, str],
    store,
    ctx: SyncContext,
    form: str,
):
    integration = store.add_integration(
        tenant_id="t1", venue_id="v1", provider="quickbooks",
        credentials={**qb_sandbox.credentials(REALM), "webhook_verifier_token": VERIFIER},
        base_url=qb_server.url,
    )  # fmt: skip
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    company = qb_sandbox.company(REALM)
    changed = company.update("Customer", "4", {"DisplayName": "Renamed By Webhook"})
    made = company.create("Customer", {"DisplayName": "Made By Webhook"})
    doomed = company.stores["Customer"].ids()[-1]
    doomed_name = company.stores["Customer"].get(doomed)["DisplayName"]
    company.delete("Customer", doomed)
    app, url = receiver
    qb_sandbox.deliver_changes(url, VERIFIER, realm=REALM, form=form, duplicate_probability=0.5,
                               shuffle=True, seed=3)  # fmt: skip
    events = []
    for signature, body in app.got:
        webhooks.verify(body, signature, VERIFIER)
        events += webhooks.parse_all(body)
    result = apply_webhook_events(integration, events, ctx)
    assert result.applied == {"customers": 3} and result.deleted == {"customers": 1}
    rows = {
        row[0]: row[1:]
        for row in ctx.warehouse.query(
            "select id, display_name, _deleted_at is not null from staging.quickbooks_customers "
            f"where id in ('{changed['Id']}', '{made['Id']}', '{doomed}')"
        )
    }
    assert rows == {
        changed["Id"]: ("Renamed By Webhook", False),
        made["Id"]: ("Made By Webhook", False),
        # a deletion names only the Id: the row keeps its last known values, marked deleted
        doomed: (doomed_name, True),
    }
