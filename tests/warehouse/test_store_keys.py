from __future__ import annotations

import pytest

from tests.warehouse.conftest import KEY, OTHER_KEY
from tests.warehouse.raw import raw_store_bytes
from warehouse.store import SecretKeyMismatchError


def test_rotation_reencrypts_credentials_tokens_and_the_key_check(open_at, store_url):
    store = open_at()
    a = store.add_integration(
        tenant_id="t", venue_id="v", provider="stripe", credentials={"api_key": "sk_test_A"}
    )
    b = store.add_integration(
        tenant_id="t", venue_id="w", provider="square", credentials={"access_token": "EAAA_B"}
    )
    store.save_oauth_tokens(b.id, {"access_token": "tok_B"}, expires_at=None, expected_version=None)
    before = raw_store_bytes(store_url)

    assert store.rotate_key(OTHER_KEY) == 3
    assert store.get_integration(a.id).credentials == {"api_key": "sk_test_A"}  # keeps working
    store.close()
    assert raw_store_bytes(store_url) != before

    with pytest.raises(SecretKeyMismatchError):
        open_at(KEY)
    rotated = open_at(OTHER_KEY)
    assert rotated.get_integration(b.id).credentials == {"access_token": "EAAA_B"}
    assert rotated.get_oauth_tokens(b.id).tokens == {"access_token": "tok_B"}
    assert rotated.get_oauth_tokens(b.id).version == 1  # rotation is not a token refresh


def test_a_process_still_on_the_old_key_is_told_so(open_at):
    first, second = open_at(), open_at()
    added = first.add_integration(
        tenant_id="t", venue_id="v", provider="stripe", credentials={"api_key": "sk_test_A"}
    )
    first.rotate_key(OTHER_KEY)
    with pytest.raises(SecretKeyMismatchError, match="does not match"):
        second.get_integration(added.id)
    with pytest.raises(SecretKeyMismatchError, match="rotated by another process"):
        second.rotate_key("yet-another-key-0123456789")
    assert first.get_integration(added.id).credentials == {"api_key": "sk_test_A"}
