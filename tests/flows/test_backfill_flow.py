"""The backfill flow: only what was created in the range lands, no cursor moves, a rerun of the
same range reads nothing again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from flows.backfill import backfill_flow, backfill_window
from flows.sync import sync_integration_flow
from tests.flows.conftest import KEY, staging_count

pytestmark = pytest.mark.usefixtures("prefect_server")


def _created_days(sandbox, resource: str) -> list[date]:
    found = orjson.loads(sandbox.objects(resource, {"account": KEY}))
    return sorted(datetime.fromtimestamp(o["created"], UTC).date() for o in found)


@pytest.mark.slow
def test_a_backfill_loads_only_the_range_and_leaves_the_cursor_where_it_was(
    ctx, integration, sandbox, store
):
    days = _created_days(sandbox[0], "customers")
    start, end = days[3], days[8]
    in_range = sum(start <= d <= end for d in days)
    assert 0 < in_range < len(days)

    result = backfill_flow(integration.id, start, end, resources=["customers"])

    assert result["resources"]["customers"]["rows_loaded"] == in_range
    assert staging_count(ctx, "stripe_customers") == (in_range, in_range)
    [log] = store.list_sync_logs(integration_id=integration.id)
    assert log.cursor_after is None
    # No cursor was committed: the next sync is a full read and fetches everything.
    sync_integration_flow(integration.id, resources=["customers"])
    assert staging_count(ctx, "stripe_customers") == (len(days), len(days))
    assert store.list_sync_logs(integration_id=integration.id, limit=1)[0].cursor_before == "{}"


@pytest.mark.slow
def test_a_rerun_of_the_same_range_reads_nothing_again(ctx, integration, sandbox, store):
    days = _created_days(sandbox[0], "customers")

    backfill_flow(integration.id, days[0], days[-1], resources=["customers"])
    backfill_flow(integration.id, days[0], days[-1], resources=["customers"])

    assert len(store.list_sync_logs(integration_id=integration.id)) == 1
    assert staging_count(ctx, "stripe_customers") == (len(days), len(days))


def test_the_range_covers_whole_utc_days_and_is_checked():
    window = backfill_window(date(2024, 3, 1), date(2024, 3, 1), today=date(2024, 6, 1))

    assert window == (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="end 2024-02-01 is before start 2024-03-01: swap"):
        backfill_window(date(2024, 3, 1), date(2024, 2, 1))
    with pytest.raises(ValueError, match="start 2024-07-01 is in the future"):
        backfill_window(date(2024, 7, 1), date(2024, 7, 2), today=date(2024, 6, 1))


def test_a_reversed_range_fails_the_flow_before_reading(ctx, integration, store):
    today = datetime.now(UTC).date()

    with pytest.raises(ValueError, match="swap them"):
        backfill_flow(integration.id, today, today - timedelta(days=1))

    assert store.list_sync_logs() == []
