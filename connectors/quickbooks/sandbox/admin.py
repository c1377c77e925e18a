"""The QuickBooks sandbox's test-facing side: changes, token controls, throttles, webhooks.

`POST /_sandbox/mutate` actions:
    create|update|delete|touch   {"resource", "realm"?, "id"?, "fields"?, "count"?, "seed"?}
    revoke                       {"realm"}: every token of the realm stops working
    expire_access                {"realm"}: access tokens expire now (refresh tokens stay)
    limits                       {"requests_per_minute"?, "max_concurrent"?, "retry_after"?}
    token_hold                   {"seconds"}: answer refreshes that late (after rotating)
`POST /_sandbox/webhooks` `{"url", "verifier_token"?, "realm"?, "format": legacy|cloudevents,
"duplicate_probability"?, "shuffle"?, "seed"?}` sends the changes not yet sent to that URL.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from connectors.common.webhooks import hmac_sha256_b64
from connectors.quickbooks.entities import RESOURCES
from connectors.quickbooks.sandbox.state import ApiFault, Company
from connectors.quickbooks.sandbox.webhooks import payloads
from connectors.quickbooks.webhooks import SIGNATURE_HEADER
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.webhooks import Delivery, deliver

if TYPE_CHECKING:
    from connectors.quickbooks.sandbox.limits import RealmGates
    from connectors.quickbooks.sandbox.oauth import OAuthState

Obj = dict[str, Any]


def entity_of(resource: str) -> str:
    """`invoices` -> `Invoice` (entity names are accepted too)."""
    if resource in RESOURCES:
        return RESOURCES[resource].entity
    for res in RESOURCES.values():
        if res.entity == resource:
            return resource
    raise NotFound(
        f"unknown QuickBooks resource {resource!r}: expected one of {', '.join(RESOURCES)}"
    )


class QuickBooksAdmin:
    """Mixed into QuickBooksSandbox: everything a test does to the sandbox."""

    lock: threading.RLock
    specs: dict[str, Any]
    oauth: OAuthState
    gates: RealmGates
    token_hold: float

    def company(self, realm_id: str) -> Company:  # provided by QuickBooksSandbox
        raise NotImplementedError

    def mutate(self, payload: Obj) -> Any:
        """`POST /_sandbox/mutate`: see the module docstring."""
        action = payload.get("action")
        realm = str(payload.get("realm") or next(iter(self.specs)))
        if action in ("revoke", "expire_access"):
            getattr(self.oauth, action)(realm)
            return {action: realm}
        if action == "limits":
            return self._limits(payload)
        if action == "token_hold":
            self.token_hold = float(payload.get("seconds") or 0.0)
            return {"token_hold": self.token_hold}
        entity = entity_of(str(payload.get("resource", "")))
        with self.lock:
            company = self.company(realm)
            try:
                return self._change(company, action, entity, payload)
            except ApiFault as fault:
                raise NotFound(fault.detail) from None

    def objects(self, resource: str, params: dict[str, str]) -> bytes:
        """Current entities of a resource, most recently updated first (JSON array); the realm
        is `?realm=` (or `?account=`, as for other sandboxes)."""
        entity = entity_of(resource)
        with self.lock:
            realm = params.get("realm") or params.get("account") or next(iter(self.specs))
            store = self.company(realm).stores[entity]
            return b"[" + b",".join(store.blob(i) or b"" for i in store.ids()) + b"]"

    def webhooks(self, payload: Obj) -> Any:
        """`POST /_sandbox/webhooks`: deliveries as JSON."""
        if not payload.get("url"):
            raise SandboxUsageError("webhooks needs 'url'")
        found = self.deliver_changes(
            payload["url"],
            payload.get("verifier_token") or "qb-sandbox-verifier",
            realm=payload.get("realm"),
            form=str(payload.get("format") or "legacy"),
            duplicate_probability=float(payload.get("duplicate_probability") or 0.0),
            shuffle=bool(payload.get("shuffle")),
            seed=payload.get("seed"),
        )
        return {"deliveries": [d.to_json() for d in found]}

    def deliver_changes(
        self,
        url: str,
        verifier_token: str,
        *,
        realm: str | None = None,
        form: str = "legacy",
        duplicate_probability: float = 0.0,
        shuffle: bool = False,
        seed: int | None = None,
    ) -> list[Delivery]:
        """POST the realm's changes not yet sent to `url`, signed with `intuit-signature`."""
        realm = realm or next(iter(self.specs))
        with self.lock:
            company = self.company(realm)
            start = company.delivered.get(url, 0)
            changes = company.changes[start:]
            company.delivered[url] = len(company.changes)
        bodies = payloads(realm, changes, form)
        return deliver(
            url,
            bodies,
            lambda body: {SIGNATURE_HEADER: hmac_sha256_b64(verifier_token, body)},
            duplicate_probability=duplicate_probability,
            shuffle=shuffle,
            seed=seed,
        )

    def _change(self, company: Company, action: Any, entity: str, payload: Obj) -> Any:
        fields = payload.get("fields") or {}
        if action == "create":
            return company.create(entity, fields)
        if action in ("update", "delete") and not payload.get("id"):
            raise SandboxUsageError(f"mutate action {action!r} needs an 'id'")
        if action == "update":
            return company.update(entity, str(payload["id"]), fields)
        if action == "delete":
            return company.delete(entity, str(payload["id"]))
        if action == "touch":
            ids = company.touch(entity, int(payload.get("count") or 1), payload.get("seed"))
            return {"updated": len(ids), "ids": ids}
        raise SandboxUsageError(
            f"unknown mutate action {action!r}: expected create, update, delete, touch, revoke, "
            "expire_access, limits or token_hold"
        )

    def _limits(self, payload: Obj) -> Obj:
        limits = self.gates.limits
        for name in ("requests_per_minute", "max_concurrent"):
            if payload.get(name) is not None:
                setattr(limits, name, int(payload[name]))
        if payload.get("retry_after") is not None:
            limits.retry_after = float(payload["retry_after"])
        return {"requests_per_minute": limits.requests_per_minute,
                "max_concurrent": limits.max_concurrent, "retry_after": limits.retry_after}  # fmt: skip
