from __future__ import annotations

from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from tests.web.conftest import SERVICE_SECRETS, RecordingLauncher
from tests.web.signing import service_headers
from warehouse.store import BreakerState, Store


def get(client: FlaskClient, target: str, service: str = "compliance-service") -> Any:
    return client.get(
        target, headers=service_headers(service, SERVICE_SECRETS[service], "GET", target)
    )


def post(client: FlaskClient, target: str, payload: Any, service: str = "payment-service") -> Any:
    body = orjson.dumps(payload)
    headers = service_headers(service, SERVICE_SECRETS[service], "POST", target, body)
    return client.post(target, data=body, headers={**headers, "Content-Type": "application/json"})


def add_logs(store: Store, integration: Any, count: int, status: str = "success") -> list[int]:
    ids = []
    for n in range(count):
        log_id = store.start_sync_log(
            integration=integration,
            resource="charges",
            run_id=f"run-{integration.id}-{n}",
            cursor_before=None,
            spec_versions={"staging.stripe_charges": f"sha256:{n:012x}"},
        )
        store.finish_sync_log(
            log_id,
            status=status,
            rows_loaded=n,
            error_class="AuthenticationError" if status == "failed" else None,
            error_message="the key was revoked" if status == "failed" else None,
        )
        ids.append(log_id)
    return ids


def test_compliance_request_for_a_venue_returns_only_that_venues_logs(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    mine = add_logs(store, integrations["stripe"], 3)
    add_logs(store, integrations["other_stripe"], 4)
    response = get(client, "/internal/sync-logs/venue/v1")
    assert response.status_code == 200
    body = response.json
    assert (body["venueId"], body["count"]) == ("v1", 3)
    assert [log["id"] for log in body["logs"]] == sorted(mine, reverse=True)
    assert {log["venue_id"] for log in body["logs"]} == {"v1"}
    # which version of each spec mapped the resource
    assert [log["spec_versions"] for log in body["logs"]] == [
        {"staging.stripe_charges": f"sha256:{n:012x}"} for n in (2, 1, 0)
    ]


def test_logs_page_back_through_a_long_history(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    ids = add_logs(store, integrations["stripe"], 7)
    seen: list[int] = []
    target = "/internal/sync-logs/venue/v1?limit=3"
    while True:
        body = get(client, target).json
        seen += [log["id"] for log in body["logs"]]
        if body["nextBefore"] is None:
            break
        target = f"/internal/sync-logs/venue/v1?limit=3&before={body['nextBefore']}"
    assert seen == sorted(ids, reverse=True)


def test_logs_since_filters_by_start_time(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    add_logs(store, integrations["stripe"], 2)
    assert get(client, "/internal/sync-logs/venue/v1?since=2999-01-01T00:00:00Z").json["count"] == 0
    assert get(client, "/internal/sync-logs/venue/v1?since=2000-01-01T00:00:00Z").json["count"] == 2


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "limit=ten", "since=yesterday", "before=-1"]
)
def test_bad_log_parameters_are_400(client: FlaskClient, query: str) -> None:
    response = get(client, f"/internal/sync-logs/venue/v1?{query}")
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_parameter")


def test_status_reports_each_provider(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    add_logs(store, integrations["stripe"], 1)
    add_logs(store, integrations["stripe"], 1, status="failed")
    store.save_breaker(BreakerState(name=f"stripe:{integrations['stripe'].id}", state="open"))
    response = get(client, "/internal/integrations/venue/v1/status", service="monitoring-service")
    assert response.status_code == 200
    providers = response.json["providers"]
    assert set(providers) == {"stripe", "square", "mailchimp", "quickbooks"}
    (stripe,) = providers["stripe"]["integrations"]
    assert providers["stripe"]["connected"] is True
    assert stripe["lastSync"]["status"] == "failed"
    assert stripe["lastError"]["message"] == "the key was revoked"
    assert stripe["breakerState"] == "open"
    assert stripe["cursorAgeSeconds"] >= 0
    assert providers["square"]["integrations"][0]["breakerState"] == "closed"


def test_status_of_a_venue_without_integrations(client: FlaskClient) -> None:
    providers = get(client, "/internal/integrations/venue/nowhere/status").json["providers"]
    assert all(p == {"connected": False, "integrations": []} for p in providers.values())


def test_trigger_starts_a_run_on_the_high_queue(
    client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    response = post(
        client,
        "/internal/sync/trigger",
        {"venueId": "v1", "provider": "stripe", "resources": ["charges"]},
    )
    assert response.status_code == 202
    assert response.json["runId"] == "run-1"
    assert launcher.calls == [
        (
            "sync-integration/sync-integration",
            {
                "integration_id": integrations["stripe"].id,
                "resources": ["charges"],
                "full_refresh": False,
                "priority": "high",
            },
            "high",
        )
    ]


def test_trigger_takes_the_queue_asked_for(
    client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    response = post(
        client, "/internal/sync/trigger", {"venueId": "v1", "provider": "stripe", "priority": "low"}
    )
    assert (response.status_code, response.json["queue"]) == (202, "low")
    assert launcher.calls[0][2] == "low"


def test_trigger_without_provider_starts_one_run_per_integration(
    client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    response = post(client, "/internal/sync/trigger", {"venueId": "v1"})
    assert len(response.json["runs"]) == 4
    assert {c[1]["integration_id"] for c in launcher.calls} == {
        integrations[p].id for p in ("stripe", "square", "mailchimp", "quickbooks")
    }


def test_trigger_permission_follows_what_is_asked(
    client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    contacts = post(
        client,
        "/internal/sync/trigger",
        {"venueId": "v1", "provider": "mailchimp"},
        "notification-service",
    )
    payments = post(
        client,
        "/internal/sync/trigger",
        {"venueId": "v1", "provider": "stripe"},
        "notification-service",
    )
    nothing = post(client, "/internal/sync/trigger", {"venueId": "v1"}, "compliance-service")
    assert contacts.status_code == 202
    assert (payments.status_code, nothing.status_code) == (403, 403)
    assert len(launcher.calls) == 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 400),
        ({"venueId": ""}, 400),
        ({"venueId": "v1", "provider": "paypal"}, 400),
        ({"venueId": "v1", "priority": "urgent"}, 400),
        ({"venueId": "v1", "resources": "charges"}, 400),
        ({"venueId": "nowhere"}, 404),
    ],
)
def test_bad_triggers(
    client: FlaskClient, integrations: dict[str, Any], payload: Any, status: int
) -> None:
    assert post(client, "/internal/sync/trigger", payload).status_code == status


def test_trigger_without_a_prefect_api_is_503(
    settings: Any, store: Store, integrations: dict[str, Any]
) -> None:
    from web import create_app

    app = create_app(
        {"settings": settings, "store": store}
    )  # the real launcher, nothing configured
    response = post(
        app.test_client(), "/internal/sync/trigger", {"venueId": "v1", "provider": "stripe"}
    )
    assert response.status_code == 503
    assert response.json["error"]["code"] == "orchestrator_unavailable"
    assert "PREFECT_API_URL" in response.json["error"]["message"]


def test_trigger_with_an_unreachable_prefect_api_is_503(
    settings: Any,
    store: Store,
    integrations: dict[str, Any],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from web import create_app

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    unreachable = dataclasses.replace(settings, prefect_api_url="http://127.0.0.1:9/api")
    app = create_app({"settings": unreachable, "store": store})
    response = post(
        app.test_client(), "/internal/sync/trigger", {"venueId": "v1", "provider": "stripe"}
    )
    assert response.status_code == 503
    assert "127.0.0.1:9" in response.json["error"]["message"]
