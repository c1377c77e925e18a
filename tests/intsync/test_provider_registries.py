"""Every list of providers in intsync is the descriptors' (`connectors.providers`): the
credential checks, the field catalogue, the connector factory, the webhook routes and inbox,
the sandbox command and the API's choices name exactly the providers that have a descriptor,
and every provider folder has one."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import connectors
from connectors.errors import ConfigurationError, SignatureError, WebhookBodyError
from connectors.providers import PROVIDERS
from connectors.registry import CATALOGUE, CredentialError, validate_credentials
from connectors.registry import PROVIDERS as CREDENTIALS
from connectors.sandboxes import available, seedable
from intsync.cli.integrations import PROVIDER_CHOICES
from pipelines.connectors import build_connector
from pipelines.context import parse_webhook
from warehouse.store import open_store
from web.openapi import PROVIDER as OPENAPI_PROVIDER
from web.webhook_providers import DEFAULT_TOLERANCES, Delivery, url_check, verify_delivery

NAMES = ["stripe", "square", "mailchimp", "quickbooks"]
# The least each provider's connector is built with.
CREDENTIALS_OF = {
    "stripe": {"api_key": "sk_test_registry"},
    "square": {"access_token": "EAAAregistry"},
    "mailchimp": {"api_key": "0123456789abcdef-us6"},
    "quickbooks": {
        "client_id": "id",
        "client_secret": "secret",
        "refresh_token": "refresh",
        "realm_id": "9130350000000001",
    },
}


def test_the_descriptors_are_the_providers_in_the_order_users_see_them() -> None:
    assert list(PROVIDERS) == NAMES
    assert PROVIDER_CHOICES == "{stripe,square,mailchimp,quickbooks}"
    assert OPENAPI_PROVIDER["enum"] == NAMES


def test_every_provider_folder_exports_its_descriptor() -> None:
    root = Path(connectors.__file__).parent
    folders = {client.parent.name for client in root.glob("*/client.py")}
    assert folders == set(NAMES)
    for name in NAMES:
        described = importlib.import_module(f"connectors.{name}").PROVIDER
        assert described is PROVIDERS[name]
        assert described.name == name


def test_credential_checks_and_the_field_catalogue_read_the_descriptors() -> None:
    assert list(CREDENTIALS) == NAMES
    assert CATALOGUE.providers == tuple(NAMES)
    for name in NAMES:
        validate_credentials(name, CREDENTIALS_OF[name])
        assert CATALOGUE.resources(name) == PROVIDERS[name].fields.READS != ()
    with pytest.raises(
        CredentialError, match="expected one of mailchimp, quickbooks, square, stripe"
    ):
        validate_credentials("xero", {})
    assert CATALOGUE.resources("xero") == ()


@pytest.mark.parametrize("name", NAMES)
def test_the_connector_factory_builds_each_descriptors_connector(name: str, tmp_path: Path) -> None:
    integration = SimpleNamespace(
        id="int_registry",
        provider=name,
        credentials=CREDENTIALS_OF[name],
        base_url="http://127.0.0.1:9",
    )
    with open_store(f"sqlite:///{tmp_path / 'intsync.db'}", "registry-key-0123456789") as store:
        connector = build_connector(integration, store)
        try:
            assert connector.provider == name
        finally:
            connector.close()


def test_the_connector_factory_refuses_a_provider_without_a_descriptor() -> None:
    integration = SimpleNamespace(id="int_x", provider="xero", credentials={}, base_url=None)
    with pytest.raises(ConfigurationError, match="no connector for provider 'xero'"):
        build_connector(integration, None)


def test_the_stripe_descriptor_keeps_stripes_read_limits() -> None:
    rate = PROVIDERS["stripe"].rate_for
    assert rate({"api_key": "sk_test_x"}) == 25.0
    assert rate({"api_key": "rk_live_x"}) == 100.0
    assert rate({"api_key": "sk_test_x", "requests_per_second": "500"}) == 500.0
    with pytest.raises(ConfigurationError, match="requests_per_second='fast' is not a number"):
        rate({"api_key": "sk_test_x", "requests_per_second": "fast"})
    assert PROVIDERS["square"].rate_for({}) == 20.0
    assert PROVIDERS["mailchimp"].rate_for({"requests_per_second": "9"}) is None


@pytest.mark.parametrize("name", NAMES)
def test_webhook_routes_and_inbox_take_each_descriptors_scheme(name: str) -> None:
    delivery = Delivery(body=b"{}", headers={}, args={}, url="http://127.0.0.1/")
    with pytest.raises(SignatureError):
        verify_delivery(name, {}, delivery, None)
    with pytest.raises((SignatureError, WebhookBodyError)):
        parse_webhook(name, {}, b"not json")


def test_webhook_tolerances_and_url_checks_are_the_descriptors() -> None:
    assert DEFAULT_TOLERANCES == {"stripe": 300}
    assert [name for name in NAMES if url_check(name) is not None] == ["mailchimp"]
    with pytest.raises(ConfigurationError, match="no webhook parser for provider 'xero'"):
        parse_webhook("xero", {}, b"{}")


def test_the_sandbox_command_offers_each_descriptors_sandbox() -> None:
    assert available() == sorted(NAMES)
    for name in NAMES:
        assert seedable(name) == PROVIDERS[name].sandbox().seedable != ()
