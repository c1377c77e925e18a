from __future__ import annotations

import dataclasses
from typing import Any

from flask.testing import FlaskClient

from tests.web.conftest import SERVICE_SECRETS, STRIPE_SECRET
from tests.web.signing import service_headers, stripe_event, stripe_header
from warehouse.store import BreakerState, Store

M = "/api/v1/integrations/health/monitoring"


def signed(
    client: FlaskClient, method: str, target: str, service: str = "monitoring-service"
) -> Any:
    headers = service_headers(service, SERVICE_SECRETS[service], method, target)
    return client.open(target, method=method, headers=headers)


def deliver(client: FlaskClient, integration_id: str, event_id: str, times: int = 1) -> None:
    body = stripe_event(event_id)
    for _ in range(times):
        client.post(
            f"/api/v1/integrations/webhooks/stripe/{integration_id}",
            data=body,
            headers={"Stripe-Signature": stripe_header(body, STRIPE_SECRET)},
        )


def test_health_routes(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "ok"}
    assert client.get(f"{M}/health/live").status_code == 200
    assert client.get(f"{M}/health/ready").json["status"] == "ok"


def test_metrics_count_webhooks_inbox_and_breakers(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    deliver(client, integrations["stripe"].id, "evt_m1", times=2)
    client.post(f"/api/v1/integrations/webhooks/stripe/{integrations['stripe'].id}", data=b"{}")
    store.save_breaker(BreakerState(name="stripe", state="open"))
    response = client.get(f"{M}/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert 'intsync_webhooks_total{outcome="stored",provider="stripe"} 1.0' in text
    assert 'intsync_webhooks_total{outcome="duplicate",provider="stripe"} 1.0' in text
    assert 'intsync_webhooks_total{outcome="rejected",provider="stripe"} 1.0' in text
    assert 'intsync_inbox_events{status="pending"} 1.0' in text
    assert "intsync_inbox_duplicates 1.0" in text
    assert 'intsync_circuit_breaker_state{name="stripe"} 2.0' in text
    assert 'intsync_webhook_latency_seconds_count{provider="stripe"} 2.0' in text


def test_idempotency_reports_dedupe_counts(
    client: FlaskClient, integrations: dict[str, Any]
) -> None:
    deliver(client, integrations["stripe"].id, "evt_i1", times=3)
    deliver(client, integrations["stripe"].id, "evt_i2")
    body = signed(client, "GET", f"{M}/idempotency").json
    assert body["inbox"]["pending"] == 2
    assert (body["stored"], body["duplicatesDropped"], body["duplicateRatio"]) == (2, 2, 0.5)


def test_operational_routes_need_a_signed_request(client: FlaskClient) -> None:
    for route in ("performance", "dlq", "circuit-breakers", "idempotency"):
        assert client.get(f"{M}/{route}").status_code == 401
        assert signed(client, "GET", f"{M}/{route}").status_code == 200


def test_dead_letters_are_listed(client: FlaskClient, store: Store) -> None:
    store.add_dead_letter(
        kind="webhook", integration_id="int_1", payload={"event_id": "e"}, reason="boom", attempts=5
    )
    body = signed(client, "GET", f"{M}/dlq").json
    assert body["total"] == 1
    assert body["deadLetters"][0]["reason"] == "boom"


def test_breaker_reset_needs_write_permission_and_closes_it(
    client: FlaskClient, store: Store
) -> None:
    store.save_breaker(BreakerState(name="stripe:int_1", state="open", consecutive_failures=5))
    target = f"{M}/circuit-breakers/stripe:int_1/reset"
    assert signed(client, "POST", target).status_code == 403
    response = signed(client, "POST", target, service="payment-service")
    assert response.status_code == 200
    assert store.get_breaker("stripe:int_1").state == "closed"
    listed = signed(client, "GET", f"{M}/circuit-breakers").json["breakers"]
    assert [(b["name"], b["state"]) for b in listed] == [("stripe:int_1", "closed")]
    assert (
        signed(
            client, "POST", f"{M}/circuit-breakers/nope/reset", service="payment-service"
        ).status_code
        == 404
    )


def test_performance_reports_webhook_latency(
    client: FlaskClient, integrations: dict[str, Any]
) -> None:
    deliver(client, integrations["stripe"].id, "evt_p1")
    body = signed(client, "GET", f"{M}/performance").json
    assert body["webhooks"]["stripe"]["count"] == 1
    assert body["webhooks"]["stripe"]["p99Ms"] > 0
    assert body["syncs"]["windowHours"] == 24


def test_deep_health_names_what_is_down(settings: Any, store: Store) -> None:
    from web import create_app

    def broken() -> None:
        raise ConnectionError("warehouse unreachable")

    missing_prefect = dataclasses.replace(settings, prefect_api_url="http://127.0.0.1:9/api")
    app = create_app({"settings": missing_prefect, "store": store, "warehouse_probe": broken})
    response = app.test_client().get(f"{M}/health/deep")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "degraded"
    assert sorted(body["down"]) == ["prefect", "warehouse"]
    assert body["checks"]["store"]["status"] == "ok"


def test_deep_health_ok_without_prefect_configured(settings: Any, store: Store) -> None:
    from web import create_app

    app = create_app({"settings": settings, "store": store, "warehouse_probe": lambda: None})
    body = app.test_client().get(f"{M}/health/deep").json
    assert body["status"] == "ok"
    assert body["checks"]["prefect"]["status"] == "not_configured"
