from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import (
    MAILCHIMP_SECRET,
    QBO_TOKEN,
    SQUARE_KEY,
    STRIPE_SECRET,
    RecordingLauncher,
    inbox_rows,
)
from tests.web.signing import (
    b64_hmac,
    mailchimp_form,
    qbo_cloud,
    qbo_legacy,
    square_event,
    stripe_event,
    stripe_header,
)
from warehouse.store import Store

BASE = "/api/v1/integrations/webhooks"


def post_stripe(client: FlaskClient, integration_id: str, body: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post(f"{BASE}/stripe/{integration_id}", data=body, headers=headers)


def square_url(integration: Any) -> str:
    return integration.credentials["webhook_url"]


def post_square(client: FlaskClient, integration: Any, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-square-hmacsha256-signature"] = signature
    return client.post(f"{BASE}/square/{integration.id}", data=body, headers=headers)


def post_qbo(client: FlaskClient, integration_id: str, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["intuit-signature"] = signature
    return client.post(f"{BASE}/quickbooks/{integration_id}", data=body, headers=headers)


def post_mailchimp(
    client: FlaskClient, integration_id: str, body: bytes, secret: str | None
) -> Any:
    query = f"?secret={secret}" if secret is not None else ""
    return client.post(
        f"{BASE}/mailchimp/{integration_id}{query}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


# -- Stripe -------------------------------------------------------------------------------------


def test_stripe_valid_delivery_is_stored_then_acknowledged(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_ok")
    response = post_stripe(
        client, integrations["stripe"].id, body, stripe_header(body, STRIPE_SECRET)
    )
    assert response.status_code == 200
    assert response.json == {"received": 1, "stored": 1, "duplicates": 0}
    rows = inbox_rows(store)
    assert [(r.provider, r.event_id, r.venue_id, r.tenant_id) for r in rows] == [
        ("stripe", "evt_ok", "v1", "t1")
    ]
    assert rows[0].body == body


def test_stripe_one_valid_signature_among_several_is_accepted(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_multi")
    good = stripe_header(body, STRIPE_SECRET)
    t, v1 = good.split(",")
    header = f"{t},v1={'0' * 64},{v1},v1={'a' * 64}"
    assert post_stripe(client, integrations["stripe"].id, body, header).status_code == 200
    assert len(inbox_rows(store)) == 1


@pytest.mark.parametrize(
    "case",
    ["tampered_body", "wrong_secret", "stale_timestamp", "future_timestamp", "missing_header"],
)
def test_stripe_bad_deliveries_get_400_and_store_nothing(
    client: FlaskClient, store: Store, integrations: dict[str, Any], case: str
) -> None:
    body = stripe_event("evt_bad")
    header: str | None = stripe_header(body, STRIPE_SECRET)
    if case == "tampered_body":
        body = body.replace(b"1200", b"9999")
    elif case == "wrong_secret":
        header = stripe_header(body, "whsec_someone_else")
    elif case == "stale_timestamp":
        header = stripe_header(body, STRIPE_SECRET, int(time.time()) - 301)
    elif case == "future_timestamp":
        # well past the 300 s: int() drops a fraction of a second the server's clock keeps, and
        # the server reads its clock later, both shrinking how far ahead this timestamp is
        header = stripe_header(body, STRIPE_SECRET, int(time.time()) + 310)
    else:
        header = None
    response = post_stripe(client, integrations["stripe"].id, body, header)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_signature"
    assert STRIPE_SECRET not in response.get_data(as_text=True)
    assert inbox_rows(store) == []


def test_stripe_tolerance_is_per_provider_and_configurable(
    settings: Any, store: Store, launcher: RecordingLauncher, integrations: dict[str, Any]
) -> None:
    from web import create_app

    app = create_app(
        {
            "settings": settings,
            "store": store,
            "launcher": launcher,
            "webhook_tolerances": {"stripe": 900},
        }
    )
    body = stripe_event("evt_old")
    header = stripe_header(body, STRIPE_SECRET, int(time.time()) - 600)
    assert (
        post_stripe(app.test_client(), integrations["stripe"].id, body, header).status_code == 200
    )


def test_duplicate_event_is_acknowledged_and_dropped(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_dup")
    for _ in range(3):
        response = post_stripe(
            client, integrations["stripe"].id, body, stripe_header(body, STRIPE_SECRET)
        )
        assert response.status_code == 200
    assert response.json == {"received": 1, "stored": 0, "duplicates": 1}
    assert store.inbox_stats()["duplicates"] == 2
    assert [r.event_id for r in inbox_rows(store)] == ["evt_dup"]


def test_the_same_event_id_for_two_integrations_is_two_events(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_shared")
    post_stripe(client, integrations["stripe"].id, body, stripe_header(body, STRIPE_SECRET))
    other = post_stripe(
        client,
        integrations["other_stripe"].id,
        body,
        stripe_header(body, "whsec_other_tenant_0123"),
    )
    assert other.status_code == 200
    assert sorted(r.venue_id for r in inbox_rows(store)) == ["v1", "v2"]


def test_another_integrations_secret_does_not_open_this_one(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_cross")
    header = stripe_header(body, "whsec_other_tenant_0123")
    assert post_stripe(client, integrations["stripe"].id, body, header).status_code == 400
    assert inbox_rows(store) == []


# -- unknown integrations, limits, apply runs -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("stripe/int_doesnotexist", "unknown_integration"),
        ("unknownprovider/int_x", "unknown_provider"),
    ],
)
def test_unknown_integration_or_provider_is_404(
    client: FlaskClient, store: Store, integrations: dict[str, Any], path: str, code: str
) -> None:
    body = stripe_event()
    response = client.post(
        f"{BASE}/{path}",
        data=body,
        headers={"Stripe-Signature": stripe_header(body, STRIPE_SECRET)},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == code
    assert inbox_rows(store) == []


def test_a_url_naming_the_wrong_provider_is_404(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event()
    response = client.post(
        f"{BASE}/stripe/{integrations['square'].id}",
        data=body,
        headers={"Stripe-Signature": stripe_header(body, STRIPE_SECRET)},
    )
    assert response.status_code == 404


def test_oversized_body_is_413_as_json(client: FlaskClient, integrations: dict[str, Any]) -> None:
    response = client.post(
        f"{BASE}/stripe/{integrations['stripe'].id}", data=b"x" * (1024 * 1024 + 1)
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_stored_events_request_an_apply_run_on_the_critical_queue(
    app: Any, client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    body = stripe_event("evt_apply")
    post_stripe(client, integrations["stripe"].id, body, stripe_header(body, STRIPE_SECRET))
    app.extensions["intsync"].apply_requester.wait()
    assert launcher.calls == [
        (
            "apply-webhook-events/apply-webhook-events",
            {"integration_id": integrations["stripe"].id},
            "critical",
        )
    ]


def test_webhooks_are_stored_even_when_prefect_is_down(
    settings: Any, store: Store, integrations: dict[str, Any]
) -> None:
    from web import create_app
    from web.errors import OrchestratorUnavailable

    def down(*_: Any) -> str:
        raise OrchestratorUnavailable("no Prefect API")

    app = create_app(
        {"settings": settings, "store": store, "launcher": down, "apply_debounce_s": 0}
    )
    body = stripe_event("evt_down")
    response = post_stripe(
        app.test_client(), integrations["stripe"].id, body, stripe_header(body, STRIPE_SECRET)
    )
    app.extensions["intsync"].apply_requester.wait()
    assert response.status_code == 200
    assert [r.event_id for r in inbox_rows(store)] == ["evt_down"]


def test_verify_only_route_checks_without_storing(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = stripe_event("evt_check")
    url = f"{BASE}/stripe/{integrations['stripe'].id}/verify"
    good = client.post(
        url, data=body, headers={"Stripe-Signature": stripe_header(body, STRIPE_SECRET)}
    )
    bad = client.post(url, data=body, headers={"Stripe-Signature": stripe_header(body, "whsec_x")})
    assert (good.status_code, good.json["events"]) == (200, ["evt_check"])
    assert bad.status_code == 400
    assert inbox_rows(store) == []


# -- Square ----------------------------------------------------------------------------------


def test_square_valid_delivery_is_stored(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    square = integrations["square"]
    body = square_event("sq-1")
    signature = b64_hmac(SQUARE_KEY, square_url(square).encode() + body)
    assert post_square(client, square, body, signature).status_code == 200
    assert [r.event_id for r in inbox_rows(store)] == ["sq-1"]


@pytest.mark.parametrize("case", ["tampered_body", "wrong_key", "other_url", "missing_header"])
def test_square_bad_deliveries_get_400(
    client: FlaskClient, store: Store, integrations: dict[str, Any], case: str
) -> None:
    square = integrations["square"]
    body = square_event("sq-bad")
    key, url = SQUARE_KEY, square_url(square)
    if case == "wrong_key":
        key = "another-key"
    if case == "other_url":
        url = url.replace("https://", "http://")
    signature: str | None = b64_hmac(key, url.encode() + body)
    if case == "tampered_body":
        body = body.replace(b"COMPLETED", b"FAILED")
    if case == "missing_header":
        signature = None
    assert post_square(client, square, body, signature).status_code == 400
    assert inbox_rows(store) == []


def test_square_duplicates_are_dropped(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    square = integrations["square"]
    body = square_event("sq-dup")
    signature = b64_hmac(SQUARE_KEY, square_url(square).encode() + body)
    answers = [post_square(client, square, body, signature).json for _ in range(2)]
    assert answers[1] == {"received": 1, "stored": 0, "duplicates": 1}
    assert len(inbox_rows(store)) == 1


# -- Mailchimp -------------------------------------------------------------------------------


def test_mailchimp_validation_get_answers_200(
    client: FlaskClient, integrations: dict[str, Any]
) -> None:
    url = f"{BASE}/mailchimp/{integrations['mailchimp'].id}?secret={MAILCHIMP_SECRET}"
    assert client.get(url).status_code == 200
    assert client.get(url.replace(MAILCHIMP_SECRET, "nope")).status_code == 400


def test_get_is_only_for_mailchimp(client: FlaskClient, integrations: dict[str, Any]) -> None:
    assert client.get(f"{BASE}/stripe/{integrations['stripe'].id}").status_code == 405


def test_mailchimp_form_post_is_stored_and_repeats_dropped(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = mailchimp_form("ann@example.com")
    first = post_mailchimp(client, integrations["mailchimp"].id, body, MAILCHIMP_SECRET)
    again = post_mailchimp(client, integrations["mailchimp"].id, body, MAILCHIMP_SECRET)
    other = post_mailchimp(
        client, integrations["mailchimp"].id, mailchimp_form("bob@example.com"), MAILCHIMP_SECRET
    )
    assert (first.json["stored"], again.json["duplicates"], other.json["stored"]) == (1, 1, 1)
    assert len(inbox_rows(store)) == 2


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_mailchimp_bad_or_missing_secret_gets_400(
    client: FlaskClient, store: Store, integrations: dict[str, Any], secret: str | None
) -> None:
    response = post_mailchimp(client, integrations["mailchimp"].id, mailchimp_form(), secret)
    assert response.status_code == 400
    assert inbox_rows(store) == []


# -- QuickBooks ------------------------------------------------------------------------------


def test_quickbooks_legacy_delivery_stores_one_row_per_entity(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = qbo_legacy("130", "131")
    response = post_qbo(client, integrations["quickbooks"].id, body, b64_hmac(QBO_TOKEN, body))
    assert response.json == {"received": 2, "stored": 2, "duplicates": 0}
    rows = inbox_rows(store)
    assert [r.event_id.split(":")[2] for r in rows] == ["130", "131"]
    assert all(r.body.count(b'"id"') == 1 for r in rows)


def test_quickbooks_cloudevents_delivery_is_accepted(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    body = qbo_cloud("ce-1", "ce-2")
    response = post_qbo(client, integrations["quickbooks"].id, body, b64_hmac(QBO_TOKEN, body))
    assert response.status_code == 200
    assert sorted(r.event_id for r in inbox_rows(store)) == ["ce-1", "ce-2"]


@pytest.mark.parametrize("case", ["tampered_body", "wrong_token", "missing_header"])
def test_quickbooks_bad_deliveries_get_400(
    client: FlaskClient, store: Store, integrations: dict[str, Any], case: str
) -> None:
    body = qbo_legacy("130")
    signature: str | None = b64_hmac("wrong" if case == "wrong_token" else QBO_TOKEN, body)
    if case == "tampered_body":
        body = body.replace(b"130", b"666")
    if case == "missing_header":
        signature = None
    assert post_qbo(client, integrations["quickbooks"].id, body, signature).status_code == 400
    assert inbox_rows(store) == []


def test_quickbooks_redelivery_with_overlap_stores_only_new_changes(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    qbo = integrations["quickbooks"].id
    first, second = qbo_legacy("130", "131"), qbo_legacy("131", "132")
    post_qbo(client, qbo, first, b64_hmac(QBO_TOKEN, first))
    answer = post_qbo(client, qbo, second, b64_hmac(QBO_TOKEN, second)).json
    assert answer == {"received": 2, "stored": 1, "duplicates": 1}
    assert len(inbox_rows(store)) == 3
