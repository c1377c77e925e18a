"""Opening a store: create or migrate the schema, and check the secret key before anything else."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, insert, select

from warehouse.crypto import Cipher
from warehouse.errors import SecretKeyMismatchError
from warehouse.store import migrations
from warehouse.store.engine import read_transaction, write_transaction
from warehouse.store.schema import meta
from warehouse.store.types import utcnow

log = logging.getLogger(__name__)

KEY_CHECK = "key_check"


def prepare(engine: Engine, cipher: Cipher, *, target: int | None = None) -> int:
    """Bring the store to `target` (default latest) after checking the key; the version reached.

    A wrong key raises SecretKeyMismatchError before any change is made.
    """
    target = migrations.LATEST if target is None else target
    with read_transaction(engine) as conn:
        version = migrations.current_version(conn)
        migrations.check_supported(version)
        if version:
            _verify_key(conn, cipher)
    if version >= target:
        return version
    with write_transaction(engine) as conn:
        migrations.lock(conn)
        version = migrations.current_version(conn)  # another process may have migrated meanwhile
        if version:
            _verify_key(conn, cipher)
        applied = migrations.upgrade(conn, target=target)
        if version == 0:
            now = utcnow().isoformat()
            conn.execute(
                insert(meta),
                [
                    {"key": KEY_CHECK, "value": cipher.key_check},
                    {"key": "created_at", "value": now},
                ],
            )
    if applied:
        log.info("store migrated from schema version %s to %s", version, applied[-1])
    return applied[-1] if applied else version


def read_key_check(conn: Connection) -> str | None:
    """The key-check value saved when the store was created."""
    return conn.scalar(select(meta.c.value).where(meta.c.key == KEY_CHECK))


def _verify_key(conn: Connection, cipher: Cipher) -> None:
    stored = read_key_check(conn)
    if stored is None or not cipher.matches(stored):
        raise SecretKeyMismatchError()
