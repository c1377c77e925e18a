"""A served Stripe sandbox, an operational store and a DuckDB warehouse for pipeline tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.common.rate import forget_budgets
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from warehouse.destinations import Warehouse
from warehouse.store import open_store

KEY = "sk_test_pipeline_0001"
COUNTS = {"customers": 12, "charges": 60, "refunds": 4, "invoices": 5}


@pytest.fixture
def stripe_sandbox() -> StripeSandbox:
    return StripeSandbox({KEY: SeedSpec(seed=5, counts=COUNTS)})


@pytest.fixture
def stripe_server(stripe_sandbox: StripeSandbox) -> Iterator[SandboxServer]:
    forget_budgets()
    with SandboxServer(stripe_sandbox) as running:
        yield running
    forget_budgets()


@pytest.fixture
def store(tmp_path: Path):
    with open_store(f"sqlite:///{tmp_path / 'store.db'}", "pipeline-test-key-0123456789") as opened:
        yield opened


@pytest.fixture
def integration(store, stripe_server):
    return store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="stripe",
        credentials={"api_key": KEY, "requests_per_second": "1000"},
        base_url=stripe_server.url,
    )


def make_context(store, tmp_path: Path, specs_dir: Path | None = None) -> SyncContext:
    return SyncContext(
        store=store,
        warehouse=Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        catalog=MappingCatalog(specs_dir),
        dlt_dir=tmp_path / "dlt",
    )


@pytest.fixture
def ctx(store, tmp_path: Path) -> SyncContext:
    return make_context(store, tmp_path)
