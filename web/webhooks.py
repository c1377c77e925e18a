"""Provider webhooks, one URL per integration: verify, store durably, then acknowledge."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from connectors.errors import SignatureError, WebhookBodyError
from connectors.providers import PROVIDERS
from warehouse.errors import NotFoundError
from warehouse.store.inbox import NewInboxEvent
from web.errors import ApiError
from web.state import state
from web.webhook_providers import Delivery, url_check, verify_delivery

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/integrations/webhooks")


def _integration(provider: str, integration_id: str) -> Any:
    if provider not in PROVIDERS:
        raise ApiError(
            404,
            "unknown_provider",
            f"no webhooks for provider {provider!r}: expected one of {', '.join(PROVIDERS)}",
        )
    try:
        integration = state().store.get_integration(integration_id)
    except NotFoundError:
        integration = None
    if integration is None or integration.provider != provider:
        state().metrics.webhook(provider, "unknown_integration")
        raise ApiError(
            404,
            "unknown_integration",
            f"no {provider} integration {integration_id!r}: check the webhook URL",
        )
    return integration


def _verified(provider: str, integration: Integration) -> list[Any]:
    delivery = Delivery(
        body=request.get_data(cache=True),
        headers=request.headers,
        args=request.args,
        url=request.url,
    )
    tolerance = state().webhook_tolerances.get(provider)
    try:
        return verify_delivery(provider, integration.credentials, delivery, tolerance)
    except WebhookBodyError as exc:
        # Genuine but unreadable: a 400 with the reason, so the provider stops redelivering it.
        state().metrics.webhook(provider, "rejected")
        log.warning(
            "%s webhook for %s has a body we cannot read: %s", provider, integration.id, exc
        )
        raise ApiError(400, "invalid_payload", str(exc)) from None
    except SignatureError as exc:
        state().metrics.webhook(provider, "rejected")
        log.info("%s webhook for %s refused: %s", provider, integration.id, exc)
        raise ApiError(400, "invalid_signature", str(exc)) from None


@bp.post("/<provider>/<integration_id>")
def receive(provider: str, integration_id: str) -> tuple[Response, int]:
    """Verify the delivery, store each event in the inbox, answer 200 once stored."""
    started = time.perf_counter()
    integration = _integration(provider, integration_id)
    events = _verified(provider, integration)
    headers = {key: value for key, value in request.headers.items()}
    stored = duplicates = 0
    for event, body in events:
        # Concurrent requests' events commit together; each request waits for its own commit.
        fresh = state().inbox_writer.submit(
            NewInboxEvent(
                provider,
                integration.id,
                integration.tenant_id,
                integration.venue_id,
                event.event_id,
                headers,
                body,
            )
        )
        stored, duplicates = stored + fresh, duplicates + (not fresh)
    elapsed = time.perf_counter() - started
    outcome = "stored" if stored else "duplicate"
    state().metrics.webhook(provider, outcome, elapsed)
    if stored:
        state().apply_requester.request(integration.id)
    return jsonify({"received": len(events), "stored": stored, "duplicates": duplicates}), 200


@bp.get("/<provider>/<integration_id>")
def validate_url(provider: str, integration_id: str) -> tuple[Response, int]:
    """Mailchimp checks a callback URL with a GET before it sends events: 200 when it is ours."""
    integration = _integration(provider, integration_id)
    check = url_check(provider)
    if check is None:
        raise ApiError(405, "method_not_allowed", f"{provider} webhooks are POST only")
    try:
        check(integration.credentials, request.args)
    except SignatureError as exc:
        raise ApiError(400, "invalid_signature", str(exc)) from None
    return jsonify({"ok": True}), 200


@bp.post("/<provider>/<integration_id>/verify")
def verify_only(provider: str, integration_id: str) -> tuple[Response, int]:
    """Check a delivery's signature and body without storing it (set-up checks, benchmarks)."""
    integration = _integration(provider, integration_id)
    events = _verified(provider, integration)
    return jsonify({"valid": True, "events": [e.event_id for e, _ in events]}), 200
