"""The Stripe sandbox's test-facing side: programmatic changes, admin routes, webhook delivery."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.webhooks import Delivery, deliver
from connectors.stripe.sandbox.api import ApiError
from connectors.stripe.sandbox.resources import RESOURCES

if TYPE_CHECKING:
    from connectors.stripe.sandbox.state import StripeAccount

Obj = dict[str, Any]


def sign_payload(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value: `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class StripeAdmin:
    """Mixed into StripeSandbox: everything a test does to the sandbox's state."""

    lock: threading.RLock

    def account(self, key: str) -> StripeAccount:  # provided by StripeSandbox
        raise NotImplementedError

    # -- programmatic API -----------------------------------------------------------------------
    def create(self, account: str, resource: str, fields: Obj) -> Obj:
        """Create an object (any fields allowed), recording its creation event."""
        with self.lock:
            return self._apply(lambda s: s.create(_resource(resource), dict(fields)), account)

    def update(self, account: str, resource: str, object_id: str, fields: Obj) -> Obj:
        """Update an object, recording `<type>.updated` with previous_attributes."""
        with self.lock:
            return self._apply(lambda s: s.update(_resource(resource), object_id, fields), account)

    def delete(self, account: str, resource: str, object_id: str) -> Obj:
        """Delete an object, recording `<type>.deleted`."""
        with self.lock:
            return self._apply(lambda s: s.delete(_resource(resource), object_id), account)

    def touch(
        self,
        account: str,
        resource: str,
        *,
        fraction: float | None = None,
        count: int | None = None,
        seed: int | None = None,
        fields: Obj | None = None,
    ) -> list[str]:
        """Update `count` (or `fraction` of all) random objects, each with an event; with
        `fields`, those are set (new fields too, as when Stripe starts sending one)."""
        with self.lock:
            state = self.account(account)
            total = len(state.collections[_resource(resource)])
            n = count if count is not None else round(total * (fraction or 0.0))
            return state.touch(resource, n, seed=seed, fields=fields)

    def objects(self, resource: str, params: dict[str, str]) -> bytes:
        """All current objects of a resource, newest first (JSON array)."""
        with self.lock:
            state = self.account(params.get("account") or self._default_account())
            return state.collections[_resource(resource)].dump()

    def events(self, account: str) -> list[Obj]:
        """Every stored event of an account, newest first (older than 30 days included)."""
        with self.lock:
            events = self.account(account).collections["events"]
            return [events.get(i) for i in events.ids()]  # type: ignore[misc]

    # -- admin routes ---------------------------------------------------------------------------
    def mutate(self, payload: Obj) -> Any:
        """`POST /_sandbox/mutate` with `{"action": create|update|delete|touch, "resource",
        "account"?, "id"?, "fields"?, "fraction"?, "count"?, "seed"?}`; `touch` with `fields` sets
        them on the objects it picks (a field Stripe starts sending, say)."""
        action = payload.get("action")
        account = payload.get("account") or self._default_account()
        resource = payload.get("resource", "")
        if action == "create":
            return self.create(account, resource, payload.get("fields") or {})
        if action in ("update", "delete") and not payload.get("id"):
            raise SandboxUsageError(f"mutate action {action!r} needs an 'id'")
        if action == "update":
            return self.update(account, resource, payload["id"], payload.get("fields") or {})
        if action == "delete":
            return self.delete(account, resource, payload["id"])
        if action == "touch":
            ids = self.touch(
                account,
                resource,
                fraction=payload.get("fraction"),
                count=payload.get("count"),
                seed=payload.get("seed"),
                fields=payload.get("fields"),
            )
            return {"updated": len(ids), "ids": ids}
        raise SandboxUsageError(
            f"unknown mutate action {action!r}: expected create, update, delete or touch"
        )

    def webhooks(self, payload: Obj) -> Any:
        """`POST /_sandbox/webhooks` with `{"url", "secret", "account"?, "events"?,
        "duplicate_probability"?, "shuffle"?}`: deliveries as JSON."""
        for name in ("url", "secret"):
            if not payload.get(name):
                raise SandboxUsageError(f"webhooks needs {name!r}")
        deliveries = self.deliver_events(
            payload["url"],
            payload["secret"],
            account=payload.get("account"),
            events=payload.get("events"),
            duplicate_probability=float(payload.get("duplicate_probability") or 0.0),
            shuffle=bool(payload.get("shuffle")),
            seed=payload.get("seed"),
        )
        return {"deliveries": [d.to_json() for d in deliveries]}

    def deliver_events(
        self,
        url: str,
        secret: str,
        *,
        account: str | None = None,
        events: Sequence[str] | None = None,
        duplicate_probability: float = 0.0,
        shuffle: bool = False,
        seed: int | None = None,
    ) -> list[Delivery]:
        """POST events to `url` signed with `secret`, oldest first unless shuffled.

        `events=None` sends the account's events not yet delivered to this URL (each event is
        then marked delivered there); a list of ids sends those, delivered before or not.
        """
        account = account or self._default_account()
        with self.lock:
            state = self.account(account)
            store = state.collections["events"]
            sent = state.delivered.setdefault(url, set())
            if events is None:
                ids = [i for i in reversed(list(store.ids())) if i not in sent]
            else:
                missing = [i for i in events if i not in store]
                if missing:
                    raise NotFound(f"no event {missing[0]!r} in account {account[:8]}...")
                ids = list(events)
            payloads = [(i, store.blob(i) or b"") for i in ids]
            sent.update(ids)
        return deliver(
            url,
            payloads,
            lambda body: {"Stripe-Signature": sign_payload(body, secret)},
            duplicate_probability=duplicate_probability,
            shuffle=shuffle,
            seed=seed,
        )

    # -- helpers --------------------------------------------------------------------------------
    def _default_account(self) -> str:
        keys = list(getattr(self, "specs", {}))
        if not keys:
            raise SandboxUsageError("the sandbox has no accounts")
        return keys[0]

    def _apply(self, change: Any, account: str) -> Obj:
        try:
            return change(self.account(account))
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(exc.message) from None
            raise SandboxUsageError(exc.message) from None


def _resource(name: str) -> str:
    if name not in RESOURCES:
        raise NotFound(f"unknown Stripe resource {name!r}: expected one of {', '.join(RESOURCES)}")
    return name
