from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from flask.testing import FlaskClient

from tests.web.conftest import auth, make_token
from warehouse.store import Store

API = "/api/v1/integrations/oauth"


class FakeProvider(BaseHTTPRequestHandler):
    """A provider's token and metadata endpoints."""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = parse_qs(body.decode()) if b"=" in body and not body.startswith(b"{") else {}
        data = orjson.loads(body) if body.startswith(b"{") else {k: v[0] for k, v in form.items()}
        if data.get("code") != "good-code":
            self._send(400, {"error": "invalid_grant"})
            return
        self._send(
            200,
            {
                "access_token": "at-123",
                "refresh_token": "rt-456",
                "expires_at": "2030-01-01T00:00:00Z",
            },
        )

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, {"dc": "us6", "api_endpoint": "https://us6.api.mailchimp.com"})

    def _send(self, status: int, payload: Any) -> None:
        raw = orjson.dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("QUICKBOOKS", "SQUARE", "MAILCHIMP"):
        prefix = f"INTSYNC_OAUTH_{name}_"
        monkeypatch.setenv(prefix + "CLIENT_ID", f"{name.lower()}-client")
        monkeypatch.setenv(prefix + "CLIENT_SECRET", f"{name.lower()}-client-secret")
        monkeypatch.setenv(prefix + "REDIRECT_URI", "https://app.example.com/oauth/callback")
        monkeypatch.setenv(prefix + "TOKEN_URL", base + "/token")
        monkeypatch.setenv(prefix + "METADATA_URL", base + "/metadata")
    yield base
    server.shutdown()


def start(client: FlaskClient, provider_name: str, token: str, venue: str = "v1") -> str:
    response = client.get(f"{API}/{provider_name}/start?venueId={venue}", headers=auth(token))
    assert response.status_code == 200, response.json
    query = parse_qs(urlsplit(response.json["authorizationUrl"]).query)
    assert query["state"] == [response.json["state"]]
    return response.json["state"]


@pytest.mark.parametrize(
    ("name", "extra", "keys"),
    [
        (
            "quickbooks",
            "&realmId=9130",
            {"client_id", "client_secret", "refresh_token", "realm_id"},
        ),
        (
            "square",
            "",
            {"access_token", "refresh_token", "client_id", "client_secret", "expires_at"},
        ),
        ("mailchimp", "", {"access_token", "server"}),
    ],
)
def test_connect_flow_stores_the_connection(
    client: FlaskClient, store: Store, provider: str, name: str, extra: str, keys: set[str]
) -> None:
    token = make_token()
    state = start(client, name, token)
    done = client.get(
        f"{API}/{name}/callback?code=good-code&state={state}{extra}", headers=auth(token)
    )
    assert done.status_code == 201, done.json
    stored = store.get_integration(done.json["id"])
    assert (stored.tenant_id, stored.venue_id, stored.provider) == ("t1", "v1", name)
    assert set(stored.credentials) == keys
    assert "at-123" not in done.get_data(as_text=True)


def test_state_is_bound_to_the_user(client: FlaskClient, store: Store, provider: str) -> None:
    state = start(client, "square", make_token(user="alice"))
    other_user = make_token(user="mallory")
    response = client.get(
        f"{API}/square/callback?code=good-code&state={state}", headers=auth(other_user)
    )
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_state")
    assert store.list_integrations() == []


def test_a_state_with_non_ascii_characters_is_400_not_an_error(
    client: FlaskClient, store: Store, provider: str
) -> None:
    token = make_token()
    state = start(client, "square", token)
    forged = state.rsplit(".", 1)[0] + ".%C3%A9%C2%81"  # a mac of non-ASCII text
    response = client.get(
        f"{API}/square/callback?code=good-code&state={forged}", headers=auth(token)
    )
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_state")
    assert store.list_integrations() == []


@pytest.mark.parametrize("tamper", ["forged", "other_provider", "other_tenant"])
def test_forged_or_misused_state_is_refused(
    client: FlaskClient, store: Store, provider: str, tamper: str
) -> None:
    token = make_token()
    state = start(client, "square", token)
    target, caller = "square", token
    if tamper == "forged":
        state = state[:-4] + "0000"
    elif tamper == "other_provider":
        target = "mailchimp"
    else:
        caller = make_token(tenant="t2", venues=("v1",))
    response = client.get(
        f"{API}/{target}/callback?code=good-code&state={state}", headers=auth(caller)
    )
    assert response.status_code == 400
    assert store.list_integrations() == []


def test_refused_code_is_502_and_stores_nothing(
    client: FlaskClient, store: Store, provider: str
) -> None:
    token = make_token()
    state = start(client, "square", token)
    response = client.get(f"{API}/square/callback?code=bad-code&state={state}", headers=auth(token))
    assert (response.status_code, response.json["error"]["code"]) == (502, "oauth_exchange_failed")
    assert store.list_integrations() == []


def test_start_needs_a_granted_venue_and_a_configured_app(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTSYNC_OAUTH_SQUARE_CLIENT_ID", raising=False)
    response = client.get(f"{API}/square/start?venueId=v1", headers=auth(make_token()))
    assert (response.status_code, response.json["error"]["code"]) == (503, "oauth_not_configured")
    assert (
        client.get(f"{API}/stripe/start?venueId=v1", headers=auth(make_token())).status_code == 404
    )


def test_start_for_another_venue_is_403(client: FlaskClient, provider: str) -> None:
    response = client.get(f"{API}/square/start?venueId=v9", headers=auth(make_token()))
    assert response.status_code == 403


def test_a_state_gives_one_connection(client: FlaskClient, store: Store, provider: str) -> None:
    token = make_token()
    state = start(client, "square", token)
    target = f"{API}/square/callback?code=good-code&state={state}"
    answers = [client.get(target, headers=auth(token)) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 400, 400]
    assert answers[1].json["error"] == {
        "code": "invalid_state",
        "message": "the OAuth state was used before: start again",
        "requestId": answers[1].json["error"]["requestId"],
    }
    assert len(store.list_integrations()) == 1
    # a new start gives a new state, good once more
    again = start(client, "square", token)
    done = client.get(f"{API}/square/callback?code=good-code&state={again}", headers=auth(token))
    assert done.status_code == 201
    assert len(store.list_integrations()) == 2


def test_connecting_a_venue_another_tenant_owns_is_409(
    client: FlaskClient, store: Store, provider: str
) -> None:
    store.add_integration(
        tenant_id="t2", venue_id="v1", provider="stripe", credentials={"api_key": "k"}
    )
    token = make_token()
    state = start(client, "square", token)
    response = client.get(
        f"{API}/square/callback?code=good-code&state={state}", headers=auth(token)
    )
    assert (response.status_code, response.json["error"]["code"]) == (409, "venue_owned_elsewhere")
    assert [i.tenant_id for i in store.list_integrations()] == ["t2"]
