"""Integrations: a venue's account at a provider, credentials encrypted at rest."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from warehouse.errors import NotFoundError, StoreError, VenueOwnedError
from warehouse.store.base import StoreBase
from warehouse.store.models import INTEGRATION_STATUSES, Integration
from warehouse.store.schema import integrations
from warehouse.store.types import utcnow


def new_integration_id() -> str:
    """`int_` and 16 hex characters."""
    return "int_" + secrets.token_hex(8)


class IntegrationsMixin(StoreBase):
    """Adding, reading, changing and removing integrations."""

    def add_integration(
        self,
        *,
        tenant_id: str,
        venue_id: str,
        provider: str,
        credentials: dict[str, str],
        base_url: str | None = None,
        name: str | None = None,
    ) -> Integration:
        """Store a new active integration; the caller validated the credentials.

        VenueOwnedError when another tenant already has the venue."""
        for label, value in (
            ("tenant_id", tenant_id),
            ("venue_id", venue_id),
            ("provider", provider),
        ):
            if not value or not value.strip():
                raise StoreError(f"{label} is empty: every integration needs one")
        now = utcnow()
        row = {
            "id": new_integration_id(),
            "tenant_id": tenant_id,
            "venue_id": venue_id,
            "provider": provider,
            "name": name,
            "base_url": base_url,
            "credentials": self._cipher.encrypt(dict(credentials)),
            "status": "active",
            "status_message": None,
            "created_at": now,
            "updated_at": now,
        }
        with self._write() as conn:
            self._check_venue_owner(conn, tenant_id, venue_id)
            conn.execute(insert(integrations).values(**row))
        return self._integration(row)

    def _check_venue_owner(self, conn: Connection, tenant_id: str, venue_id: str) -> None:
        """VenueOwnedError when another tenant has an integration in the venue: venue ids are
        global, which is what lets internal routes take a bare venue id."""
        if self.dialect == "postgresql":
            # Two tenants adding the same new venue at once: the second waits, then sees it.
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("venue:" + venue_id))))
        owner = conn.scalar(
            select(integrations.c.tenant_id)
            .where(integrations.c.venue_id == venue_id, integrations.c.tenant_id != tenant_id)
            .limit(1)
        )
        if owner is not None:
            raise VenueOwnedError(
                f"venue {venue_id!r} belongs to another tenant: venue ids are global on the "
                "platform, so check the venue id (or give this venue a new one)"
            )

    def get_integration(self, integration_id: str) -> Integration:
        """The integration with this id; NotFoundError when there is none."""
        with self._read() as conn:
            row = (
                conn.execute(select(integrations).where(integrations.c.id == integration_id))
                .mappings()
                .first()
            )
        if row is None:
            raise _not_found(integration_id)
        return self._integration(row)

    def list_integrations(
        self,
        *,
        tenant_id: str | None = None,
        venue_id: str | None = None,
        provider: str | None = None,
    ) -> list[Integration]:
        """Integrations matching every filter given, oldest first."""
        query = select(integrations).order_by(integrations.c.created_at, integrations.c.id)
        if tenant_id is not None:
            query = query.where(integrations.c.tenant_id == tenant_id)
        if venue_id is not None:
            query = query.where(integrations.c.venue_id == venue_id)
        if provider is not None:
            query = query.where(integrations.c.provider == provider)
        with self._read() as conn:
            found = list(conn.execute(query).mappings())
        return [self._integration(row) for row in found]

    def remove_integration(self, integration_id: str) -> None:
        """Delete the integration (its OAuth tokens go with it; its sync logs stay, as history)."""
        with self._write() as conn:
            result = conn.execute(delete(integrations).where(integrations.c.id == integration_id))
            if result.rowcount == 0:
                raise _not_found(integration_id)

    def update_credentials(self, integration_id: str, credentials: dict[str, str]) -> None:
        """Replace the stored credentials (e.g. a rotated refresh token); committed on return."""
        self._update(integration_id, credentials=self._cipher.encrypt(dict(credentials)))

    def set_integration_status(
        self, integration_id: str, status: str, message: str | None = None
    ) -> None:
        """Mark the integration active, needs_reconnect or disabled, with a reason to show."""
        if status not in INTEGRATION_STATUSES:
            raise StoreError(
                f"integration status {status!r} is not one of {', '.join(INTEGRATION_STATUSES)}"
            )
        self._update(integration_id, status=status, status_message=message)

    def _update(self, integration_id: str, **values: Any) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(integrations)
                .where(integrations.c.id == integration_id)
                .values(updated_at=utcnow(), **values)
            )
            if result.rowcount == 0:
                raise _not_found(integration_id)

    def _integration(self, row: Any) -> Integration:
        return Integration(
            id=row["id"],
            tenant_id=row["tenant_id"],
            venue_id=row["venue_id"],
            provider=row["provider"],
            name=row["name"],
            base_url=row["base_url"],
            credentials=self._cipher.decrypt(row["credentials"]),
            status=row["status"],
            status_message=row["status_message"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


def _not_found(integration_id: str) -> NotFoundError:
    return NotFoundError(
        f"no integration {integration_id!r} in the store: see `intsync integrations list`"
    )
