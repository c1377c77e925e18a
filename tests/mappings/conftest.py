"""Fixtures for the mapping language: Stripe example objects, spec files written on the fly,
and a fixed mapping context."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import CATALOGUE
from mappings import Catalogue, CompiledMapping, compile_spec, load_spec

DATA = Path(__file__).parent / "data"
OBJECT_BY_RESOURCE = {
    "customers": "customer",
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "invoices": "invoice",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
    "disputes": "dispute",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
}
SYNCED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def stripe_objects() -> dict[str, dict[str, Any]]:
    """One example object per Stripe resource, as Stripe's mock server serves it."""
    return json.loads((DATA / "stripe_objects.json").read_text())


@pytest.fixture(scope="session")
def known_fields() -> Catalogue:
    """What the connectors say about their providers, resources and fields."""
    return CATALOGUE


@pytest.fixture
def context() -> dict[str, Any]:
    """The context a sync passes to map_page."""
    return {
        "tenant_id": "tenant_1",
        "venue_id": "venue_1",
        "integration_id": "int_1",
        "provider": "stripe",
        "synced_at": SYNCED_AT,
    }


@pytest.fixture
def write_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], Path]:
    """Write YAML text to a spec file under a temporary working directory; returns the path
    relative to it (as a user would type it)."""
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


@pytest.fixture
def compile_yaml(write_spec: Callable[[str, str], Path]) -> Callable[..., CompiledMapping]:
    """Compile a spec given as YAML text."""

    def build(text: str, salt: str = "", name: str = "spec.yaml") -> CompiledMapping:
        return compile_spec(load_spec(write_spec(text, name)), salt)

    return build
