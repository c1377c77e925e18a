from __future__ import annotations

import re
from datetime import UTC

import pytest

from tests.warehouse.raw import raw_store_bytes
from warehouse.store import NotFoundError, StoreError

SECRET = "sk_test_SECRET_4f9a"


def _add(store, venue="v1", tenant="t1", provider="stripe", **credentials):
    return store.add_integration(
        tenant_id=tenant,
        venue_id=venue,
        provider=provider,
        credentials=credentials or {"api_key": SECRET},
    )


def test_added_integration_reads_back_with_its_credentials(store):
    added = store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="stripe",
        credentials={"api_key": SECRET, "webhook_secret": "whsec_abc"},
        base_url="http://127.0.0.1:8111",
        name="Main account",
    )
    assert re.fullmatch(r"int_[0-9a-f]{16}", added.id)
    got = store.get_integration(added.id)
    assert got == added
    assert got.credentials == {"api_key": SECRET, "webhook_secret": "whsec_abc"}
    assert (got.status, got.status_message, got.name) == ("active", None, "Main account")
    assert got.created_at.tzinfo == UTC


def test_repr_never_shows_a_credential(store):
    integration = _add(store)
    assert SECRET not in repr(integration)
    assert SECRET not in str(integration)
    assert "api_key" in repr(integration)


def test_credentials_are_not_stored_in_clear(store, store_url):
    _add(store)
    store.update_credentials(_add(store, venue="v2").id, {"api_key": SECRET + "_v2"})
    raw = raw_store_bytes(store_url)
    assert b"int_" in raw  # the dump does see the rows
    assert SECRET.encode() not in raw


def test_list_filters_by_tenant_venue_and_provider(store):
    a = _add(store, tenant="t1", venue="v1")
    b = _add(store, tenant="t1", venue="v2", provider="square", access_token="EAAA")
    c = _add(store, tenant="t2", venue="v3")
    assert [i.id for i in store.list_integrations()] == [a.id, b.id, c.id]
    assert [i.id for i in store.list_integrations(tenant_id="t1")] == [a.id, b.id]
    assert [i.id for i in store.list_integrations(venue_id="v2")] == [b.id]
    assert [i.id for i in store.list_integrations(provider="stripe")] == [a.id, c.id]
    assert store.list_integrations(tenant_id="t2", provider="square") == []


def test_remove_deletes_and_unknown_ids_raise(store):
    integration = _add(store)
    store.remove_integration(integration.id)
    with pytest.raises(NotFoundError, match=integration.id):
        store.get_integration(integration.id)
    with pytest.raises(NotFoundError, match="int_0000000000000000"):
        store.remove_integration("int_0000000000000000")


def test_update_credentials_and_status(store):
    integration = _add(store)
    store.update_credentials(integration.id, {"api_key": "sk_test_new"})
    store.set_integration_status(integration.id, "needs_reconnect", "401 from Stripe")
    got = store.get_integration(integration.id)
    assert got.credentials == {"api_key": "sk_test_new"}
    assert (got.status, got.status_message) == ("needs_reconnect", "401 from Stripe")
    assert got.updated_at > integration.updated_at
    with pytest.raises(StoreError, match="'paused' is not one of"):
        store.set_integration_status(integration.id, "paused")
    with pytest.raises(NotFoundError):
        store.update_credentials("int_missing", {"api_key": "x"})


def test_empty_venue_is_refused(store):
    with pytest.raises(StoreError, match="venue_id is empty"):
        _add(store, venue=" ")
    assert store.list_integrations() == []
