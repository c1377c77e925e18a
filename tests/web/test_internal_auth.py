from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import SERVICE_SECRETS
from tests.web.signing import service_headers
from web.service_auth import signed_headers

LOGS = "/internal/sync-logs/venue/v1"


def signed_get(client: FlaskClient, service: str, target: str, **kwargs: Any) -> Any:
    headers = service_headers(service, SERVICE_SECRETS[service], "GET", target, **kwargs)
    return client.get(target, headers=headers)


def test_signed_request_from_a_permitted_service_is_served(client: FlaskClient) -> None:
    response = signed_get(client, "compliance-service", LOGS + "?limit=5")
    assert response.status_code == 200
    assert response.json == {"venueId": "v1", "logs": [], "count": 0, "nextBefore": None}


def test_the_client_helper_signs_as_the_interface_says() -> None:
    ours = signed_headers("compliance-service", "s", "GET", LOGS, timestamp=1700000000, nonce="n1")
    theirs = service_headers(
        "compliance-service", "s", "GET", LOGS, timestamp=1700000000, nonce="n1"
    )
    assert ours == theirs


def refusal(response: Any) -> tuple[int, str]:
    return response.status_code, response.json["error"]["code"]


def test_missing_service_is_401(client: FlaskClient) -> None:
    assert refusal(client.get(LOGS)) == (401, "unauthenticated_service")


def test_unknown_service_is_401(client: FlaskClient) -> None:
    headers = service_headers("rogue-service", "whatever", "GET", LOGS)
    assert refusal(client.get(LOGS, headers=headers)) == (401, "unauthenticated_service")


def test_bad_signature_is_401(client: FlaskClient) -> None:
    headers = service_headers("compliance-service", "not-the-secret", "GET", LOGS)
    response = client.get(LOGS, headers=headers)
    assert refusal(response) == (401, "unauthenticated_service")
    assert "does not match" in response.json["error"]["message"]


def test_a_signature_with_non_ascii_characters_is_401_not_an_error(client: FlaskClient) -> None:
    headers = service_headers(
        "compliance-service", SERVICE_SECRETS["compliance-service"], "GET", LOGS
    )
    headers["X-Signature"] = "v1=\u00e9" + headers["X-Signature"][4:]
    assert refusal(client.get(LOGS, headers=headers)) == (401, "unauthenticated_service")


# ahead by well over 300 s: int() and the time until the server reads its clock both shrink it
@pytest.mark.parametrize("offset", [-301, 310, -3600])
def test_timestamp_outside_the_window_is_401(client: FlaskClient, offset: int) -> None:
    response = signed_get(client, "compliance-service", LOGS, timestamp=int(time.time()) + offset)
    assert refusal(response) == (401, "unauthenticated_service")
    assert "300s" in response.json["error"]["message"]


def test_timestamp_inside_the_window_is_accepted(client: FlaskClient) -> None:
    response = signed_get(client, "compliance-service", LOGS, timestamp=int(time.time()) - 250)
    assert response.status_code == 200


def test_replayed_nonce_is_401(client: FlaskClient) -> None:
    headers = service_headers(
        "compliance-service", SERVICE_SECRETS["compliance-service"], "GET", LOGS
    )
    assert client.get(LOGS, headers=headers).status_code == 200
    replay = client.get(LOGS, headers=headers)
    assert refusal(replay) == (401, "unauthenticated_service")
    assert "nonce" in replay.json["error"]["message"]


def test_a_failed_signature_does_not_burn_the_nonce(client: FlaskClient) -> None:
    secret = SERVICE_SECRETS["compliance-service"]
    forged = service_headers("compliance-service", "guess", "GET", LOGS, nonce="n-shared")
    genuine = service_headers("compliance-service", secret, "GET", LOGS, nonce="n-shared")
    assert client.get(LOGS, headers=forged).status_code == 401
    assert client.get(LOGS, headers=genuine).status_code == 200


def test_missing_permission_is_403(client: FlaskClient) -> None:
    response = signed_get(client, "notification-service", LOGS)
    assert refusal(response) == (403, "permission_denied")


def test_a_service_with_a_secret_but_no_permissions_is_403(client: FlaskClient) -> None:
    assert signed_get(client, "stranger-service", LOGS).status_code == 403


@pytest.mark.parametrize(
    ("signed", "sent"),
    [
        ("/internal/sync-logs/venue/v1", "/internal/sync-logs/venue/v2"),
        ("/internal/sync-logs/venue/v1?limit=1", "/internal/sync-logs/venue/v1?limit=1000"),
        ("/internal/sync-logs/venue/v1?limit=1", "/internal/sync-logs/venue/v1"),
        ("/internal/sync-logs/venue/v1", "/internal/sync-logs/venue/v1?since=2020-01-01T00:00:00Z"),
    ],
)
def test_signature_is_bound_to_path_and_query(client: FlaskClient, signed: str, sent: str) -> None:
    headers = service_headers(
        "compliance-service", SERVICE_SECRETS["compliance-service"], "GET", signed
    )
    assert refusal(client.get(sent, headers=headers)) == (401, "unauthenticated_service")


def test_signature_is_bound_to_method_and_body(client: FlaskClient) -> None:
    secret = SERVICE_SECRETS["payment-service"]
    body = b'{"venueId": "v1"}'
    as_get = service_headers("payment-service", secret, "GET", "/internal/sync/trigger", body)
    assert client.post("/internal/sync/trigger", data=body, headers=as_get).status_code == 401
    signed = service_headers("payment-service", secret, "POST", "/internal/sync/trigger", body)
    other = b'{"venueId": "v2"}'
    assert client.post("/internal/sync/trigger", data=other, headers=signed).status_code == 401


def test_query_is_verified_exactly_as_sent(client: FlaskClient) -> None:
    target = LOGS + "?since=2020-01-01T00%3A00%3A00Z&limit=2"
    assert signed_get(client, "compliance-service", target).status_code == 200
