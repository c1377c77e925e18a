"""The operational store: every concern's methods on one object, opened from a URL and a key."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from warehouse.crypto import Cipher
from warehouse.errors import StoreError
from warehouse.store.breakers import BreakersMixin
from warehouse.store.dead_letters import DeadLettersMixin
from warehouse.store.engine import make_engine
from warehouse.store.inbox import InboxMixin
from warehouse.store.integrations import IntegrationsMixin
from warehouse.store.keys import KeysMixin
from warehouse.store.nonces import NoncesMixin
from warehouse.store.oauth import OAuthMixin
from warehouse.store.opening import prepare
from warehouse.store.seen_fields import SeenFieldsMixin
from warehouse.store.sync_logs import SyncLogsMixin


class Store(
    IntegrationsMixin,
    SyncLogsMixin,
    InboxMixin,
    DeadLettersMixin,
    OAuthMixin,
    BreakersMixin,
    NoncesMixin,
    KeysMixin,
    SeenFieldsMixin,
):
    """Integrations, sync logs, webhook inbox, dead letters, OAuth tokens, breakers, nonces,
    fields seen."""


def open_store(database_url: str, secret_key: str, *, schema_version: int | None = None) -> Store:
    """Open (creating or migrating as needed) the store at `database_url`.

    Raises SecretKeyMismatchError, without changing anything, when `secret_key` is not the key
    the store was created with. `schema_version` stops migrating at that version (for tests).
    """
    cipher = Cipher(secret_key)
    engine = make_engine(database_url)
    try:
        prepare(engine, cipher, target=schema_version)
    except OperationalError as exc:
        engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"cannot open the store at {shown}: {str(exc.orig).strip()} "
            "(check INTSYNC_DATABASE_URL and that the database exists and is reachable)"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, cipher)
