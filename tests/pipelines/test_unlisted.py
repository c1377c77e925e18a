"""The rows a full read may mark deleted: the integration's live ones, synced before the run."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.unlisted import live_ids
from warehouse.destinations import Warehouse

RUN_BEGAN = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def warehouse(empty_warehouse: Warehouse) -> Warehouse:
    return empty_warehouse


def test_live_ids_leave_out_deleted_rows_other_integrations_and_rows_synced_meanwhile(warehouse):
    minute = dt.timedelta(minutes=1)
    rows = [
        ("old", "int_a", RUN_BEGAN - minute, None),
        ("gone", "int_a", RUN_BEGAN - minute, RUN_BEGAN - minute),
        ("theirs", "int_b", RUN_BEGAN - minute, None),
        ("meanwhile", "int_a", RUN_BEGAN + minute, None),  # a webhook's, during the read
    ]
    with warehouse.connect() as con:
        cur = con.cursor()
        cur.execute("create schema staging")
        cur.execute(
            "create table staging.stripe_customers (id text, integration_id text,"
            " _synced_at timestamp with time zone, _deleted_at timestamp with time zone)"
        )
        mark = warehouse.placeholder
        for row in rows:
            cur.execute(
                f"insert into staging.stripe_customers values ({', '.join([mark] * 4)})", row
            )
        con.commit()
    tables = ["stripe_customers", "stripe_missing"]
    assert live_ids(warehouse, tables, "int_a", RUN_BEGAN) == {"old"}
    assert live_ids(warehouse, tables, "int_a") == {"old", "meanwhile"}
