"""OAuth token state per integration, encrypted, updated by compare-and-swap on a version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from warehouse.errors import ConcurrentUpdateError, NotFoundError
from warehouse.store.base import StoreBase
from warehouse.store.models import OAuthTokens
from warehouse.store.schema import oauth_tokens, service_nonces
from warehouse.store.types import utcnow

OAUTH_STATE = "oauth-state"  # the nonce table's name for used OAuth states


class OAuthMixin(StoreBase):
    """Reading and saving OAuth tokens so that concurrent refreshers cannot overwrite each other;
    OAuth connect states used once."""

    def use_oauth_state(self, state_nonce: str, expires_at: datetime) -> bool:
        """True the first time an OAuth state (by its nonce) is used, False ever after: a state
        gives one code exchange and one connection. Kept until it expires (expired states are
        refused before they get here)."""
        statement = (
            self._insert(service_nonces)
            .values(service=OAUTH_STATE, nonce=state_nonce, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["service", "nonce"])
        )
        with self._write() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def get_oauth_tokens(self, integration_id: str) -> OAuthTokens | None:
        """The integration's tokens (decrypted), or None before the first save."""
        with self._read() as conn:
            row = (
                conn.execute(
                    select(oauth_tokens).where(oauth_tokens.c.integration_id == integration_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return OAuthTokens(
            integration_id=row["integration_id"],
            tokens=self._cipher.decrypt(row["tokens"]),
            expires_at=row["expires_at"],
            version=row["version"],
            updated_at=row["updated_at"],
        )

    def save_oauth_tokens(
        self,
        integration_id: str,
        tokens: dict[str, Any],
        *,
        expires_at: datetime | None,
        expected_version: int | None,
    ) -> int:
        """Save when the stored version is still `expected_version` (None: nothing saved yet).

        Returns the new version. ConcurrentUpdateError when another process saved first: re-read
        with get_oauth_tokens and use (or refresh) what it saved.
        """
        values = {"tokens": self._cipher.encrypt(tokens), "expires_at": expires_at}
        with self._write() as conn:
            if expected_version is None:
                statement = (
                    self._insert(oauth_tokens)
                    .values(integration_id=integration_id, version=1, updated_at=utcnow(), **values)
                    .on_conflict_do_nothing(index_elements=["integration_id"])
                )
                try:
                    inserted = conn.execute(statement).rowcount == 1
                except IntegrityError:
                    raise NotFoundError(
                        f"no integration {integration_id!r} to save OAuth tokens for"
                    ) from None
                if inserted:
                    return 1
            else:
                result = conn.execute(
                    update(oauth_tokens)
                    .where(
                        oauth_tokens.c.integration_id == integration_id,
                        oauth_tokens.c.version == expected_version,
                    )
                    .values(version=expected_version + 1, updated_at=utcnow(), **values)
                )
                if result.rowcount == 1:
                    return expected_version + 1
            current = conn.scalar(
                select(oauth_tokens.c.version).where(
                    oauth_tokens.c.integration_id == integration_id
                )
            )
        raise ConcurrentUpdateError(
            f"OAuth tokens of {integration_id} are at version {current}, not {expected_version}: "
            "another process saved them first; re-read them and retry"
        )
