from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from tests.web.conftest import RecordingLauncher, auth, make_token
from warehouse.store import Store

API = "/api/v1/integrations"


@pytest.mark.parametrize(
    "token",
    [
        make_token(exp=int(time.time()) - 10),
        make_token(aud="someone-else"),
        make_token(iss="evil-issuer"),
        make_token(exp=None),
        make_token(aud=None),
        make_token(iss=None),
        make_token(secret="not-the-jwt-secret-0123456789abcd"),
        make_token(tenant_id=None),
        jwt.encode(
            {
                "sub": "u",
                "tenant_id": "t1",
                "aud": "intsync",
                "iss": "auth-service",
                "exp": int(time.time()) + 60,
            },
            None,
            algorithm="none",
        ),
        "not-a-token",
    ],
)
def test_bad_tokens_are_401(client: FlaskClient, token: str) -> None:
    response = client.get(f"{API}/connections", headers=auth(token))
    assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")


def test_missing_token_is_401(client: FlaskClient) -> None:
    assert client.get(f"{API}/connections").status_code == 401


def test_connections_list_only_the_tokens_tenant_and_venues(
    client: FlaskClient, integrations: dict[str, Any]
) -> None:
    body = client.get(f"{API}/connections", headers=auth(make_token())).json
    assert body["count"] == 4
    assert {c["tenantId"] for c in body["connections"]} == {"t1"}
    assert all("credentials" not in c for c in body["connections"])
    other = client.get(f"{API}/connections", headers=auth(make_token("t2", ("v2",)))).json
    assert [c["id"] for c in other["connections"]] == [integrations["other_stripe"].id]


def test_tenant_a_gets_404_for_tenant_bs_connection(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    theirs = integrations["other_stripe"].id
    token = auth(make_token("t1", ("v1", "v2")))  # even naming their venue does not help
    assert client.get(f"{API}/connections/{theirs}", headers=token).status_code == 404
    assert client.delete(f"{API}/connections/{theirs}", headers=token).status_code == 404
    assert client.post(f"{API}/connections/{theirs}/sync", headers=token).status_code == 404
    assert store.get_integration(theirs).tenant_id == "t2"


def test_create_and_remove_a_connection(client: FlaskClient, store: Store) -> None:
    token = auth(make_token())
    payload = {
        "venueId": "v1",
        "provider": "stripe",
        "credentials": {"api_key": "sk_test_9", "webhook_secret": "whsec_9"},
    }
    created = client.post(f"{API}/connections", json=payload, headers=token)
    assert created.status_code == 201
    assert created.json["credentialKeys"] == ["api_key", "webhook_secret"]
    assert "sk_test_9" not in created.get_data(as_text=True)
    stored = store.get_integration(created.json["id"])
    assert (stored.tenant_id, stored.credentials["api_key"]) == ("t1", "sk_test_9")
    assert client.delete(f"{API}/connections/{stored.id}", headers=token).status_code == 204
    assert client.get(f"{API}/connections/{stored.id}", headers=token).status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            {"venueId": "v9", "provider": "stripe", "credentials": {"api_key": "k"}},
            403,
            "venue_forbidden",
        ),
        (
            {"venueId": "v1", "provider": "stripe", "credentials": {"nope": "k"}},
            400,
            "invalid_credentials",
        ),
        ({"venueId": "v1", "provider": "paypal", "credentials": {}}, 400, "invalid_credentials"),
        (
            {
                "venueId": "v1",
                "provider": "stripe",
                "credentials": {"api_key": "k"},
                "baseUrl": "ftp://x",
            },
            400,
            "invalid_credentials",
        ),
        ({"venueId": "v1", "provider": "stripe", "credentials": "k"}, 400, "invalid_body"),
    ],
)
def test_bad_connections_are_refused(
    client: FlaskClient, store: Store, payload: Any, status: int, code: str
) -> None:
    response = client.post(f"{API}/connections", json=payload, headers=auth(make_token()))
    assert (response.status_code, response.json["error"]["code"]) == (status, code)
    assert store.list_integrations() == []


def test_tenant_in_the_body_is_ignored(client: FlaskClient, store: Store) -> None:
    payload = {
        "venueId": "v1",
        "provider": "stripe",
        "credentials": {"api_key": "k"},
        "tenantId": "t2",
    }
    created = client.post(f"{API}/connections", json=payload, headers=auth(make_token()))
    assert store.get_integration(created.json["id"]).tenant_id == "t1"


def test_sync_trigger_starts_a_high_priority_run(
    client: FlaskClient, integrations: dict[str, Any], launcher: RecordingLauncher
) -> None:
    stripe_id = integrations["stripe"].id
    response = client.post(
        f"{API}/connections/{stripe_id}/sync",
        json={"resources": ["charges"]},
        headers=auth(make_token()),
    )
    assert (response.status_code, response.json["runId"]) == (202, "run-1")
    assert launcher.calls[0][1]["integration_id"] == stripe_id
    assert launcher.calls[0][2] == "high"


def test_mappings_list_and_validate(client: FlaskClient) -> None:
    token = auth(make_token())
    listed = client.get(f"{API}/mappings", headers=token).json
    assert ("stripe", "charges") in {(m["provider"], m["resource"]) for m in listed["mappings"]}
    bad = client.post(
        f"{API}/mappings/validate", json={"yaml": "provider: stripe\nresource: [\n"}, headers=token
    )
    assert bad.status_code == 200
    assert bad.json["valid"] is False
    assert bad.json["issues"][0]["line"] >= 1


def test_admin_routes_need_the_admin_role(
    client: FlaskClient, integrations: dict[str, Any]
) -> None:
    assert client.get(f"{API}/admin/connections", headers=auth(make_token())).status_code == 403
    admin = client.get(
        f"{API}/admin/connections", headers=auth(make_token(venues=(), roles=("admin",)))
    )
    assert admin.status_code == 200
    assert admin.json["count"] == 4  # every venue of tenant t1, none of t2
    assert (
        client.get(
            f"{API}/admin/dead-letters", headers=auth(make_token(roles=("admin",)))
        ).status_code
        == 200
    )


def test_validate_reports_unreadable_yaml_as_an_issue(client: FlaskClient) -> None:
    response = client.post(
        f"{API}/mappings/validate", json={"yaml": "a: \x80b\n"}, headers=auth(make_token())
    )
    assert response.status_code == 200
    assert response.json["valid"] is False


def test_validate_checks_paths_against_the_provider(client: FlaskClient) -> None:
    spec = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
    token = auth(make_token())
    typo = client.post(
        f"{API}/mappings/validate", json={"yaml": spec + "  url: recipt_url\n"}, headers=token
    )
    assert typo.json == {
        "valid": False,
        "issues": [
            {
                "line": 6,
                "column": 8,
                "message": "'recipt_url' is not a field of stripe charges "
                "(did you mean 'receipt_url'?)",
            }
        ],
    }
    fixed = client.post(
        f"{API}/mappings/validate", json={"yaml": spec + "  url: receipt_url\n"}, headers=token
    )
    assert fixed.json == {"valid": True, "issues": []}
