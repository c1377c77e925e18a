"""Key rotation: re-encrypt every stored secret and the key check under a new key, atomically."""

from __future__ import annotations

from sqlalchemy import Connection, Table, select, update

from warehouse.crypto import Cipher
from warehouse.errors import SecretKeyMismatchError
from warehouse.store.base import StoreBase
from warehouse.store.opening import KEY_CHECK, read_key_check
from warehouse.store.schema import integrations, meta, oauth_tokens


class KeysMixin(StoreBase):
    """Changing the credential key."""

    def rotate_key(self, new_key: str) -> int:
        """Re-encrypt credentials, tokens and the key check with `new_key` in one transaction.

        Returns how many secrets were re-encrypted. Processes still holding the old key fail
        with SecretKeyMismatchError on their next read, until restarted with the new key.
        """
        new = Cipher(new_key)
        with self._write() as conn:
            stored = read_key_check(conn)
            if stored is None or not self._cipher.matches(stored):
                raise SecretKeyMismatchError("the key was rotated by another process")
            count = self._reencrypt(conn, new)
            conn.execute(update(meta).where(meta.c.key == KEY_CHECK).values(value=new.key_check))
        self._cipher = new
        return count

    def _reencrypt(self, conn: Connection, new: Cipher) -> int:
        count = 0
        for table, key, column in self._encrypted_columns():
            found = conn.execute(select(table.c[key], table.c[column])).all()
            for row_key, token in found:
                document = self._cipher.decrypt(token)
                conn.execute(
                    update(table)
                    .where(table.c[key] == row_key)
                    .values({column: new.encrypt(document)})
                )
                count += 1
        return count

    def _encrypted_columns(self) -> list[tuple[Table, str, str]]:
        return [(integrations, "id", "credentials"), (oauth_tokens, "integration_id", "tokens")]
