"""Warehouse and operational-store errors, by what the caller should do."""

from __future__ import annotations


class StoreError(Exception):
    """The operational store could not do what was asked."""


class NotFoundError(StoreError):
    """No such integration, log, event or dead letter: check the id."""


class SecretKeyMismatchError(StoreError):
    """The configured secret key is not the one the store was created with."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "the secret key does not match the one this store was created with"
            + (f" ({detail})" if detail else "")
            + ": set INTSYNC_SECRET_KEY to the original key (or restore $INTSYNC_HOME/secret.key), "
            "or, holding the original key, run `intsync integrations rotate-key` to change it"
        )


class ConcurrentUpdateError(StoreError):
    """Someone else changed the row first (compare-and-swap lost): read again and retry."""


class MigrationError(StoreError):
    """The store's schema could not be brought up to date."""


class WarehouseError(Exception):
    """The warehouse could not be reached or read."""


class VenueOwnedError(StoreError):
    """The venue id belongs to another tenant (venue ids are global): choose the right venue."""
