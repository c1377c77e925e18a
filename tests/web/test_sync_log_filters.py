"""The compliance route's filters (`until`, `status`, `provider`, `resource`), its refusal of
parameters it does not take, and cursors as JSON objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.web.test_internal_routes import get
from warehouse.store import Store
from warehouse.store.schema import sync_logs


def log(store: Store, integration: Any, resource: str, status: str, started: datetime) -> int:
    log_id = store.start_sync_log(
        integration=integration, resource=resource, run_id="r", cursor_before="{}"
    )
    store.finish_sync_log(
        log_id,
        status=status,
        cursor_after='{"created_cursor": 1700000000, "created_cursor_ids": ["ch_1"]}',
        error_message="the key was revoked" if status == "failed" else None,
    )
    with store.engine.begin() as conn:
        conn.execute(update(sync_logs).where(sync_logs.c.id == log_id).values(started_at=started))
    return log_id


@pytest.fixture
def history(store: Store, integrations: dict[str, Any]) -> dict[str, int]:
    day = datetime(2026, 3, 1, tzinfo=UTC)
    return {
        "stripe-charges-ok": log(store, integrations["stripe"], "charges", "success", day),
        "stripe-customers-failed": log(
            store, integrations["stripe"], "customers", "failed", day + timedelta(days=1)
        ),
        "mailchimp-members-ok": log(
            store, integrations["mailchimp"], "members", "success", day + timedelta(days=2)
        ),
        "square-payments-failed": log(
            store, integrations["square"], "payments", "failed", day + timedelta(days=3)
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["square-payments-failed", "stripe-customers-failed"]),
        ("status=success&provider=stripe", ["stripe-charges-ok"]),
        ("provider=mailchimp", ["mailchimp-members-ok"]),
        ("resource=customers", ["stripe-customers-failed"]),
        ("until=2026-03-03T00:00:00Z", ["stripe-customers-failed", "stripe-charges-ok"]),
        (
            "since=2026-03-02T00:00:00Z&until=2026-03-04T00:00:00Z",
            ["mailchimp-members-ok", "stripe-customers-failed"],
        ),
        ("status=running", []),
    ],
)
def test_filters_narrow_the_venues_logs(
    client: FlaskClient, history: dict[str, int], query: str, expected: list[str]
) -> None:
    response = get(client, f"/internal/sync-logs/venue/v1?{query}")

    assert response.status_code == 200, response.json
    assert [log["id"] for log in response.json["logs"]] == [history[name] for name in expected]


@pytest.mark.parametrize(
    "query",
    ["stauts=failed", "state=failed", "limit=5&offset=10", "venue=v2", "status=failed&foo="],
)
def test_a_parameter_the_route_does_not_take_is_refused(
    client: FlaskClient, history: dict[str, int], query: str
) -> None:
    response = get(client, f"/internal/sync-logs/venue/v1?{query}")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "unknown_parameter"
    assert (
        "this route takes limit, before, since, until, status" in response.json["error"]["message"]
    )


@pytest.mark.parametrize(
    "query",
    [
        "status=broken",
        "provider=paypal",
        "until=yesterday",
        "since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z",
        "status=failed&status=success",
        "resource=" + "x" * 65,
    ],
)
def test_bad_filter_values_are_invalid_parameters(client: FlaskClient, query: str) -> None:
    response = get(client, f"/internal/sync-logs/venue/v1?{query}")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameter"


def test_cursors_are_json_objects(client: FlaskClient, history: dict[str, int]) -> None:
    found = get(client, "/internal/sync-logs/venue/v1?resource=charges").json["logs"][0]

    assert found["cursor_before"] == {}
    assert found["cursor_after"] == {"created_cursor": 1700000000, "created_cursor_ids": ["ch_1"]}


def test_a_cursor_stored_as_plain_text_is_wrapped(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    log_id = store.start_sync_log(
        integration=integrations["stripe"], resource="charges", run_id="r", cursor_before="170"
    )
    store.finish_sync_log(log_id, status="success", cursor_after="not json")

    found = get(client, "/internal/sync-logs/venue/v1").json["logs"][0]

    assert (found["cursor_before"], found["cursor_after"]) == (
        {"value": "170"},
        {"value": "not json"},
    )
