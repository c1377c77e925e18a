"""Warehouses loaded by builds with dlt pipelines per integration move to the shared loaders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pytest

from pipelines.dltquirks import destination as dlt_destination
from pipelines.legacy_loaders import migrate_legacy_loaders
from warehouse.cursors import read_cursors
from warehouse.destinations import Warehouse

A, B = "int_0123456789abcdef", "int_fedcba9876543210"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_database"))


def _old_loader(warehouse: Warehouse, dlt_dir: Path, integration: str, created: int) -> Any:
    """What a build with loaders per integration left: its staging pipeline, cursor in state."""
    destination = dlt_destination(warehouse)
    destination.config_params["staging_dataset_name_layout"] = f"%s_load_{integration}"
    pipe = dlt.pipeline(
        pipeline_name=f"intsync_{integration}_staging",
        destination=destination,
        dataset_name="staging",
        pipelines_dir=str(dlt_dir),
    )

    @dlt.resource(name="charges", table_name="stripe_charges", write_disposition="merge",
                  primary_key=["venue_id", "id"])  # fmt: skip
    def charges():  # type: ignore[no-untyped-def]
        dlt.current.resource_state()["connector_state"] = {"created": created}
        yield [{"venue_id": f"v-{integration}", "id": "ch_1"}]

    pipe.run(dlt.source(name="stripe")(lambda: [charges])())
    return pipe


def test_cursors_move_old_datasets_and_folders_go_and_an_unfinished_load_reads_anew(
    tmp_path, warehouse
):
    dlt_dir = tmp_path / "dlt"
    _old_loader(warehouse, dlt_dir, A, 111)
    unfinished = _old_loader(warehouse, dlt_dir, B, 222)
    # B's last run died with a package extracted and not loaded
    unfinished.extract([{"venue_id": "v-b", "id": "ch_2"}], table_name="stripe_charges")
    assert unfinished.has_pending_data
    assert set(warehouse.loader_datasets()) == {A, B}

    assert migrate_legacy_loaders(warehouse, dlt_dir) == 2

    with warehouse.writer() as held:
        cursors = read_cursors(warehouse, [A, B], held)
    assert cursors == {A: {"charges": {"created": 111}}}, "B reads everything again"
    assert warehouse.loader_datasets() == {}
    assert not [p for p in dlt_dir.iterdir() if p.name.startswith("intsync_int_")]
    rows = warehouse.query("select venue_id, id from staging.stripe_charges order by 1")
    assert rows == [(f"v-{A}", "ch_1"), (f"v-{B}", "ch_1")], "their rows stay"
    assert migrate_legacy_loaders(warehouse, dlt_dir) == 0, "once per process"
