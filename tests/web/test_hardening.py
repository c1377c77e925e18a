"""What an attacker tried on a live service and must not get: chunked bodies past the limit,
numbers `int()` chokes on before authentication, which services are configured, the warehouse's
path, a tenant pointing syncs at any address, another tenant's venue, a private store file."""

from __future__ import annotations

import dataclasses
import io
import stat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from intsync.config import ConfigError, Settings, load_settings
from tests.web.conftest import (
    SERVICE_SECRETS,
    STRIPE_SECRET,
    RecordingLauncher,
    auth,
    inbox_rows,
    make_token,
)
from tests.web.signing import service_headers, stripe_event, stripe_header
from tests.web.test_internal_routes import add_logs
from warehouse.store import Store
from web import create_app

API = "/api/v1/integrations"
LOGS = "/internal/sync-logs/venue/v1"
MIB = 1024 * 1024


def post_chunked(client: FlaskClient, target: str, body: bytes, headers: dict[str, str]) -> Any:
    """A body sent as a WSGI server passes a chunked one: no Content-Length, a terminated input."""
    return client.post(
        target,
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_limit_is_413_not_cut(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    event = orjson.loads(stripe_event("evt_big"))
    event["data"]["object"]["description"] = "x" * MIB
    body = orjson.dumps(event)
    headers = {"Stripe-Signature": stripe_header(body, STRIPE_SECRET)}
    target = f"{API}/webhooks/stripe/{integrations['stripe'].id}"
    response = post_chunked(client, target, body, headers)
    assert (response.status_code, response.json["error"]["code"]) == (413, "payload_too_large")
    assert inbox_rows(store) == []


def test_a_chunked_body_under_the_limit_arrives_whole(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    event = orjson.loads(stripe_event("evt_chunked"))
    event["data"]["object"]["description"] = "x" * (MIB - 2000)
    body = orjson.dumps(event)
    assert len(body) < MIB
    headers = {"Stripe-Signature": stripe_header(body, STRIPE_SECRET)}
    target = f"{API}/webhooks/stripe/{integrations['stripe'].id}"
    response = post_chunked(client, target, body, headers)
    assert response.status_code == 200, response.json
    assert [row.body for row in inbox_rows(store)] == [body]


@pytest.mark.parametrize("timestamp", ["²", "1" * 5000, "١٧٠٠٠٠٠٠٠٠", "+1700000000", " 17"])
def test_a_timestamp_int_chokes_on_or_misreads_is_401(client: FlaskClient, timestamp: str) -> None:
    headers = service_headers(
        "compliance-service", SERVICE_SECRETS["compliance-service"], "GET", LOGS
    )
    headers["X-Request-Timestamp"] = timestamp
    response = client.get(LOGS, headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (
        401,
        "unauthenticated_service",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "²"),
        ("limit", "9" * 5000),
        ("before", "²"),
        ("before", "1" * 5000),
        ("limit", "٣"),
    ],
)
def test_a_paging_number_int_chokes_on_is_400(client: FlaskClient, name: str, value: str) -> None:
    target = f"{LOGS}?{name}={quote(value)}"
    headers = service_headers(
        "compliance-service", SERVICE_SECRETS["compliance-service"], "GET", target
    )
    response = client.get(target, headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_parameter")


def test_the_401_does_not_tell_which_services_are_configured(client: FlaskClient) -> None:
    def message(service: str, secret: str) -> str:
        headers = service_headers(service, secret, "GET", LOGS)
        response = client.get(LOGS, headers=headers)
        assert response.status_code == 401
        return str(response.json["error"]["message"])

    unknown = message("nobody-service", "whatever-secret")
    known_bad_secret = message("compliance-service", "whatever-secret")
    assert unknown == known_bad_secret
    assert "INTSYNC_SERVICE_SECRETS" not in unknown and "nobody" not in unknown


def test_deep_health_does_not_show_the_warehouse_path(settings: Settings, store: Store) -> None:
    hidden = settings.home / "no-such-folder" / "deeper"
    broken = dataclasses.replace(settings, warehouse_url=f"duckdb:///{hidden / 'wh.duckdb'}")
    app = create_app({"settings": broken, "store": store})
    response = app.test_client().get(f"{API}/health/monitoring/health/deep")
    assert response.json["checks"]["warehouse"]["status"] == "down"
    text = response.get_data(as_text=True)
    assert str(settings.home) not in text and "no-such-folder" not in text


# a file mode is a SQLite store's
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sqlite_store_is_created_readable_by_its_owner_only(settings: Settings) -> None:
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    assert not path.exists()
    app = create_app({"settings": settings, "launcher": RecordingLauncher()})
    assert app.test_client().get("/health").status_code == 200
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- base URLs ----------------------------------------------------------------------------------

METADATA = "http://169.254.169.254/latest/meta-data"


def connect(client: FlaskClient, base_url: str | None, venue: str = "v1", **token: Any) -> Any:
    payload: dict[str, Any] = {
        "venueId": venue,
        "provider": "stripe",
        "credentials": {"api_key": "sk_test_9"},
    }
    if base_url is not None:
        payload["baseUrl"] = base_url
    return client.post(
        f"{API}/connections", json=payload, headers=auth(make_token(venues=(venue,), **token))
    )


@pytest.mark.parametrize(
    "base_url",
    [METADATA, "http://127.0.0.1:5432", "http://localhost:3009", "https://api.stripe.com.evil.io"],
)
def test_a_tenant_cannot_point_a_connection_anywhere(
    client: FlaskClient, store: Store, base_url: str
) -> None:
    response = connect(client, base_url)
    assert (response.status_code, response.json["error"]["code"]) == (403, "base_url_not_allowed")
    assert store.list_integrations() == []


def test_an_origin_the_operators_allow_is_accepted(
    settings: Settings, store: Store, launcher: RecordingLauncher
) -> None:
    allowed = dataclasses.replace(
        settings, base_url_allowlist=("https://proxy.example.com:443", "http://10.0.0.5:8111")
    )
    client = create_app({"settings": allowed, "store": store, "launcher": launcher}).test_client()
    assert connect(client, "https://PROXY.example.com/stripe").status_code == 201
    assert connect(client, "http://10.0.0.5:8111").status_code == 201
    assert connect(client, "http://10.0.0.5:8112").status_code == 403
    assert connect(client, METADATA).status_code == 403
    assert connect(client, None).status_code == 201
    assert [i.base_url for i in store.list_integrations()] == [
        "https://PROXY.example.com/stripe",
        "http://10.0.0.5:8111",
        None,
    ]


def test_the_allowlist_setting_is_read_and_checked() -> None:
    env = {"INTSYNC_BASE_URL_ALLOWLIST": " https://proxy.example.com , http://10.0.0.5:8111 "}
    assert load_settings(env).base_url_allowlist == (
        "https://proxy.example.com:443",
        "http://10.0.0.5:8111",
    )
    assert load_settings({}).base_url_allowlist == ()
    for bad in ("ftp://x", "https://proxy.example.com/path", "proxy.example.com", "http://u:p@h"):
        with pytest.raises(ConfigError, match="INTSYNC_BASE_URL_ALLOWLIST"):
            load_settings({"INTSYNC_BASE_URL_ALLOWLIST": bad})


# -- venues are global --------------------------------------------------------------------------


def test_a_venue_another_tenant_owns_is_409_through_the_api(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    before = {i.id for i in store.list_integrations()}
    response = connect(client, None, venue="v1", tenant="t2")
    assert (response.status_code, response.json["error"]["code"]) == (409, "venue_owned_elsewhere")
    assert "t1" not in response.json["error"]["message"]
    assert {i.id for i in store.list_integrations()} == before
    # the owner adds more to its own venue
    assert connect(client, None, venue="v1", tenant="t1").status_code == 201


def test_a_venue_another_tenant_owns_is_exit_2_from_the_cli(
    store: Store, integrations: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intsync.cli.main import cli

    monkeypatch.setenv("INTSYNC_HOME", str(settings.home))
    monkeypatch.setenv("INTSYNC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INTSYNC_SECRET_KEY", str(settings.secret_key_env))
    before = len(store.list_integrations())
    args = ["integrations", "add", "--tenant", "t2", "--venue", "v1", "--provider", "stripe"]
    result = CliRunner().invoke(cli, [*args, "--credential", "api_key=sk_test_x"])
    assert result.exit_code == 2, result.output
    assert "belongs to another tenant" in result.output
    assert len(store.list_integrations()) == before


def test_internal_routes_see_one_tenant_per_venue_after_a_collision_was_tried(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    launcher: RecordingLauncher,
) -> None:
    assert connect(client, None, venue="v1", tenant="t2").status_code == 409
    add_logs(store, integrations["stripe"], 1, status="failed")
    add_logs(store, integrations["other_stripe"], 2, status="failed")

    def signed(method: str, target: str, service: str, body: bytes = b"") -> Any:
        headers = service_headers(service, SERVICE_SECRETS[service], method, target, body)
        headers["Content-Type"] = "application/json"
        return client.open(target, method=method, data=body or None, headers=headers)

    logs = signed("GET", LOGS, "compliance-service").json
    assert {log["tenant_id"] for log in logs["logs"]} == {"t1"}
    assert logs["count"] == 1
    status = signed("GET", "/internal/integrations/venue/v1/status", "monitoring-service").json
    shown = [i["id"] for p in status["providers"].values() for i in p["integrations"]]
    assert sorted(shown) == sorted(i.id for k, i in integrations.items() if k != "other_stripe")
    body = orjson.dumps({"venueId": "v1", "provider": "stripe"})
    trigger = signed("POST", "/internal/sync/trigger", "payment-service", body)
    assert trigger.status_code == 202
    started = [call[1]["integration_id"] for call in launcher.calls]
    assert started == [integrations["stripe"].id]


def test_two_tenants_racing_for_new_venues_get_one_owner_each(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from warehouse.errors import VenueOwnedError

    def add(attempt: tuple[str, str]) -> str:
        tenant, venue = attempt
        try:
            store.add_integration(
                tenant_id=tenant, venue_id=venue, provider="stripe", credentials={"api_key": "k"}
            )
            return "added"
        except VenueOwnedError:
            return "refused"

    attempts = [(f"t{n % 2}", f"v-new-{venue}") for venue in range(15) for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(add, attempts))
    for venue in range(15):
        owners = {i.tenant_id for i in store.list_integrations(venue_id=f"v-new-{venue}")}
        assert len(owners) == 1, (venue, owners)
    assert outcomes.count("added") == outcomes.count("refused") == 45


@pytest.mark.parametrize("secret", ["sk_test_SECRET", "qb-secret-value-1234", "x" * 31])
def test_integrations_list_shows_nothing_of_a_short_secret(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    from intsync.cli.main import cli

    monkeypatch.setenv("INTSYNC_HOME", str(settings.home))
    monkeypatch.setenv("INTSYNC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INTSYNC_SECRET_KEY", str(settings.secret_key_env))
    store.add_integration(
        tenant_id="t1", venue_id="v1", provider="stripe", credentials={"api_key": secret}
    )
    listed = CliRunner().invoke(cli, ["integrations", "list", "--json"])
    assert orjson.loads(listed.stdout)[0]["credentials"] == {"api_key": "****"}
    long = "sk_live_" + "a" * 40 + "WXYZ"
    assert mask_of(long) == "sk_...WXYZ"


def mask_of(value: str) -> str:
    from connectors.registry import mask

    return mask(value)
