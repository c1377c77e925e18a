"""Web fixtures: an app on a private store (SQLite, and PostgreSQL for every test again), a recording launcher at the Prefect boundary,
and integrations of every provider with known webhook secrets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intsync.config import Settings
from warehouse.store import Store, open_store
from web import create_app

SERVICE_SECRETS = {
    "compliance-service": "compliance-secret-0123",
    "monitoring-service": "monitoring-secret-0123",
    "payment-service": "payment-secret-0123",
    "notification-service": "notification-secret-0123",
    "event-service": "event-secret-0123",
    "auth-service": "auth-secret-0123",
    "stranger-service": "stranger-secret-0123",
}
JWT_SECRET = "jwt-test-secret-0123456789abcdef"
STRIPE_SECRET = "whsec_test_0123456789abcdef"
SQUARE_KEY = "sq-signature-key-0123"
SQUARE_URL = "https://hooks.example.com/api/v1/integrations/webhooks/square/"
MAILCHIMP_SECRET = "mc-secret-0123456789"
QBO_TOKEN = "qbo-verifier-token-0123"


@dataclass
class RecordingLauncher:
    """Stands in for the Prefect API: records runs and answers with made-up run ids."""

    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def __call__(self, deployment: str, parameters: Mapping[str, Any], queue: str) -> str:
        self.calls.append((deployment, dict(parameters), queue))
        return f"run-{len(self.calls)}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The operational store every web test runs on: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'intsync.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path,
        warehouse_url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        database_url=database_url,
        secret_key_env="web-test-secret-key-0123456789",
        service_secrets=SERVICE_SECRETS,
        jwt_secret=JWT_SECRET,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings.database_url, settings.secret_key())
    yield opened
    opened.engine.dispose()


@pytest.fixture
def launcher() -> RecordingLauncher:
    return RecordingLauncher()


@pytest.fixture
def app(settings: Settings, store: Store, launcher: RecordingLauncher) -> Flask:
    return create_app(
        {"settings": settings, "store": store, "launcher": launcher, "apply_debounce_s": 0}
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def integrations(store: Store) -> dict[str, Any]:
    """One integration per provider for tenant t1 / venue v1, plus a Stripe one for t2 / v2."""
    made = {
        "stripe": store.add_integration(
            tenant_id="t1",
            venue_id="v1",
            provider="stripe",
            credentials={"api_key": "sk_test_1", "webhook_secret": STRIPE_SECRET},
        ),
        "mailchimp": store.add_integration(
            tenant_id="t1",
            venue_id="v1",
            provider="mailchimp",
            credentials={"api_key": "key-us6", "webhook_secret": MAILCHIMP_SECRET},
        ),
        "quickbooks": store.add_integration(
            tenant_id="t1",
            venue_id="v1",
            provider="quickbooks",
            credentials={
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "realm_id": "9130",
                "webhook_verifier_token": QBO_TOKEN,
            },
        ),
        "other_stripe": store.add_integration(
            tenant_id="t2",
            venue_id="v2",
            provider="stripe",
            credentials={"api_key": "sk_test_2", "webhook_secret": "whsec_other_tenant_0123"},
        ),
    }
    square_id_holder = store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="square",
        credentials={"access_token": "sq-token", "webhook_signature_key": SQUARE_KEY},
    )
    url = SQUARE_URL + square_id_holder.id
    store.update_credentials(
        square_id_holder.id,
        {"access_token": "sq-token", "webhook_signature_key": SQUARE_KEY, "webhook_url": url},
    )
    made["square"] = store.get_integration(square_id_holder.id)
    return made


def inbox_rows(store: Store) -> list[Any]:
    """Every stored inbox event (claims them; use at the end of a test)."""
    return store.claim_inbox_events(limit=10_000)


def make_token(
    tenant: str = "t1",
    venues: tuple[str, ...] = ("v1",),
    roles: tuple[str, ...] = (),
    user: str = "user-1",
    secret: str = JWT_SECRET,
    **overrides: Any,
) -> str:
    """A bearer token as the auth service issues them."""
    import time

    import jwt

    claims: dict[str, Any] = {
        "sub": user,
        "tenant_id": tenant,
        "venues": list(venues),
        "roles": list(roles),
        "aud": "intsync",
        "iss": "auth-service",
        "exp": int(time.time()) + 600,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
