"""OAuth connect flows for QuickBooks, Square and Mailchimp: start (a signed state bound to the
user, tenant, venue and provider) and callback (state checked, code exchanged, connection stored).

The OAuth app comes from the environment: INTSYNC_OAUTH_<PROVIDER>_CLIENT_ID, _CLIENT_SECRET and
_REDIRECT_URI, with _AUTHORIZE_URL, _TOKEN_URL (and Mailchimp's _METADATA_URL) to point elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import requests
from flask import Blueprint, Response, jsonify, request

from connectors.common.webhooks import constant_time_equal
from web.connections import add_owned_integration
from web.errors import ApiError
from web.public import connection_json
from web.state import state
from web.tokens import bearer, principal

bp = Blueprint("oauth", __name__, url_prefix="/api/v1/integrations/oauth")
STATE_TTL_S = 600
TIMEOUT_S = 15


@dataclass(frozen=True)
class OAuthProvider:
    """Where a provider's OAuth endpoints are and what to ask for."""

    name: str
    authorize_url: str
    token_url: str
    scope: str
    json_token_request: bool = False
    metadata_url: str | None = None


PROVIDERS = {
    "quickbooks": OAuthProvider(
        "quickbooks",
        "https://appcenter.intuit.com/connect/oauth2",
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "com.intuit.quickbooks.accounting",
    ),
    "square": OAuthProvider(
        "square",
        "https://connect.squareup.com/oauth2/authorize",
        "https://connect.squareup.com/oauth2/token",
        "MERCHANT_PROFILE_READ PAYMENTS_READ ORDERS_READ CUSTOMERS_READ ITEMS_READ",
        json_token_request=True,
    ),
    "mailchimp": OAuthProvider(
        "mailchimp",
        "https://login.mailchimp.com/oauth2/authorize",
        "https://login.mailchimp.com/oauth2/token",
        "",
        metadata_url="https://login.mailchimp.com/oauth2/metadata",
    ),
}


def _app(provider: str) -> tuple[OAuthProvider, dict[str, str]]:
    if provider not in PROVIDERS:
        raise ApiError(
            404, "unknown_provider", f"no OAuth for {provider!r}: use {', '.join(PROVIDERS)}"
        )
    info = PROVIDERS[provider]
    prefix = f"INTSYNC_OAUTH_{provider.upper()}_"
    app = {
        key: os.environ.get(prefix + key.upper(), "")
        for key in ("client_id", "client_secret", "redirect_uri")
    }
    missing = [prefix + k.upper() for k, v in app.items() if not v]
    if missing:
        raise ApiError(
            503, "oauth_not_configured", f"{provider} OAuth is not set up: set {', '.join(missing)}"
        )
    info = OAuthProvider(
        info.name,
        os.environ.get(prefix + "AUTHORIZE_URL") or info.authorize_url,
        os.environ.get(prefix + "TOKEN_URL") or info.token_url,
        info.scope,
        info.json_token_request,
        os.environ.get(prefix + "METADATA_URL") or info.metadata_url,
    )
    return info, app


def _state_key() -> bytes:
    return hmac.new(state().settings.secret_key().encode(), b"oauth-state", hashlib.sha256).digest()


def make_state(user: str, tenant: str, venue: str, provider: str, now: float | None = None) -> str:
    """A signed, expiring state naming who started the flow and for what."""
    claims = {
        "u": user,
        "t": tenant,
        "v": venue,
        "p": provider,
        "n": secrets.token_hex(8),
        "exp": int((now or time.time()) + STATE_TTL_S),
    }
    payload = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    mac = hmac.new(_state_key(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def check_state(value: str, provider: str) -> dict[str, Any]:
    """The state's claims if it is ours, unexpired, for this provider and this caller; else 400."""
    payload, _, mac = value.partition(".")
    expected = hmac.new(_state_key(), payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not constant_time_equal(expected, mac):
        raise ApiError(400, "invalid_state", "the OAuth state was not issued here")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    who = principal()
    if claims["exp"] < time.time():
        raise ApiError(400, "invalid_state", "the OAuth state expired: start again")
    if (claims["p"], claims["u"], claims["t"]) != (provider, who.user, who.tenant_id):
        raise ApiError(400, "invalid_state", "the OAuth state belongs to another user or provider")
    who.check_venue(claims["v"])
    return claims


@bp.get("/<provider>/start")
@bearer()
def start(provider: str) -> Response:
    """The provider's authorization URL for the venue in `venueId`, with a bound state."""
    info, app = _app(provider)
    venue = request.args.get("venueId", "")
    if not venue:
        raise ApiError(400, "invalid_parameter", "venueId is required")
    who = principal()
    who.check_venue(venue)
    value = make_state(who.user, who.tenant_id, venue, provider)
    query = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": app["redirect_uri"],
        "state": value,
    }
    if info.scope:
        query["scope"] = info.scope
    return jsonify({"authorizationUrl": f"{info.authorize_url}?{urlencode(query)}", "state": value})


@bp.get("/<provider>/callback")
@bearer()
def callback(provider: str) -> tuple[Response, int]:
    """Check the state, exchange the code, store the connection."""
    info, app = _app(provider)
    code, value = request.args.get("code", ""), request.args.get("state", "")
    if request.args.get("error"):
        raise ApiError(400, "oauth_denied", f"{provider} answered {request.args['error'][:100]!r}")
    if not code or not value:
        raise ApiError(400, "invalid_parameter", "code and state are required")
    claims = check_state(value, provider)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if not isinstance(claims.get("n"), str) or not state().store.use_oauth_state(
        claims["n"], expires
    ):
        raise ApiError(400, "invalid_state", "the OAuth state was used before: start again")
    tokens = _exchange(info, app, code)
    credentials = _credentials(info, app, tokens)
    if provider == "quickbooks":
        realm = request.args.get("realmId", "")
        if not realm:
            raise ApiError(400, "invalid_parameter", "QuickBooks callbacks carry realmId")
        credentials["realm_id"] = realm
    integration = add_owned_integration(
        tenant_id=claims["t"], venue_id=claims["v"], provider=provider, credentials=credentials
    )
    return jsonify(connection_json(integration)), 201


def _exchange(info: OAuthProvider, app: dict[str, str], code: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app["redirect_uri"]}
    try:
        if info.json_token_request:
            response = requests.post(
                info.token_url,
                json={**form, "client_id": app["client_id"], "client_secret": app["client_secret"]},
                timeout=TIMEOUT_S,
            )
        else:
            response = requests.post(
                info.token_url,
                data=form,
                auth=(app["client_id"], app["client_secret"]),
                timeout=TIMEOUT_S,
            )
    except requests.RequestException as exc:
        raise ApiError(
            502,
            "oauth_exchange_failed",
            f"{info.name} token endpoint unreachable: {type(exc).__name__}",
        ) from None
    if response.status_code != 200:
        raise ApiError(
            502,
            "oauth_exchange_failed",
            f"{info.name} refused the code (HTTP {response.status_code})",
        )
    tokens = response.json()
    if not isinstance(tokens, dict) or not tokens.get("access_token"):
        raise ApiError(
            502, "oauth_exchange_failed", f"{info.name} answered without an access token"
        )
    return tokens


def _credentials(
    info: OAuthProvider, app: dict[str, str], tokens: dict[str, Any]
) -> dict[str, str]:
    if info.name == "quickbooks":
        return {
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "refresh_token": str(tokens.get("refresh_token", "")),
        }
    if info.name == "square":
        found = {
            "access_token": str(tokens["access_token"]),
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
        for key in ("refresh_token", "expires_at"):
            if tokens.get(key):
                found[key] = str(tokens[key])
        return found
    metadata = requests.get(
        str(info.metadata_url),
        headers={"Authorization": f"OAuth {tokens['access_token']}"},
        timeout=TIMEOUT_S,
    )
    if metadata.status_code != 200 or not metadata.json().get("dc"):
        raise ApiError(
            502, "oauth_exchange_failed", "mailchimp metadata did not name the data centre"
        )
    return {"access_token": str(tokens["access_token"]), "server": str(metadata.json()["dc"])}
