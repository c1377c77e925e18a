"""schemathesis over the typed /openapi.json with the response checks on: every operation, with
generated parameters and bodies, signed as a permitted service (internal and monitoring routes)
or with an admin's bearer token, against a store holding sync logs, dead letters and breakers.
No answer is a 5xx, and none breaks the schema, status codes or content type documented."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import SERVICE_SECRETS, RecordingLauncher, auth, make_token
from tests.web.test_openapi import routes
from warehouse.store import BreakerState
from web.service_auth import signed_headers

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# the services whose permissions cover each signed route
SIGNER = {"/internal/sync-logs/": "compliance-service"}
DEFAULT_SIGNER = "auth-service"  # integrations:read and integrations:write


class Signing:
    """WSGI middleware that signs each internal and monitoring request as its service would,
    over the path and query exactly as they reach the app, as a caller does."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(("/internal/", "/api/v1/integrations/health/monitoring/")):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or _target(environ)
            service = next((s for p, s in SIGNER.items() if path.startswith(p)), DEFAULT_SIGNER)
            headers = signed_headers(
                service, SERVICE_SECRETS[service], environ["REQUEST_METHOD"], raw, body
            )
            for name, value in headers.items():
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.app(environ, start_response)


def _target(environ: dict[str, Any]) -> str:
    from urllib.parse import quote

    raw = quote(environ.get("PATH_INFO", ""), safe="/;:@&=+$,%!~*'()")
    query = environ.get("QUERY_STRING", "")
    return raw + (f"?{query}" if query else "")


def with_history(store: Any, integrations: dict[str, Any]) -> None:
    """Finished and running sync logs for venue v1, a dead letter and an open breaker."""
    stripe = integrations["stripe"]
    done = store.start_sync_log(
        integration=stripe, resource="charges", run_id="run-1", cursor_before="{}"
    )
    store.finish_sync_log(
        done, status="success", rows_loaded=3, cursor_after='{"created_cursor": 1700000000}'
    )
    failed = store.start_sync_log(
        integration=stripe, resource="customers", run_id="run-1", cursor_before=None
    )
    store.finish_sync_log(failed, status="failed", error_class="AuthError", error_message="401")
    store.start_sync_log(integration=stripe, resource="refunds", run_id="run-2", cursor_before="7")
    store.add_dead_letter(
        kind="sync", integration_id=stripe.id, payload={"x": 1}, reason="gave up", attempts=3
    )
    store.save_breaker(BreakerState(name="provider:stripe", state="open", consecutive_failures=5))


@pytest.mark.slow
def test_every_operation_answers_what_its_schema_says(
    settings: Any, store: Any, integrations: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from web import create_app

    for name in ("QUICKBOOKS", "SQUARE", "MAILCHIMP"):
        for key in ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI"):
            monkeypatch.setenv(f"INTSYNC_OAUTH_{name}_{key}", "https://app.example.com/x")
    with_history(store, integrations)
    app = create_app(
        {
            "settings": settings,
            "store": store,
            "launcher": RecordingLauncher(),
            "warehouse_probe": lambda: None,
            "apply_debounce_s": 0,
        }
    )
    schema = schemathesis.openapi.from_wsgi("/openapi.json", Signing(app))
    token = auth(make_token(venues=("v1",), roles=("admin",)))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(routes(app)) - 1  # all but /openapi.json itself
    calls: dict[int, int] = {}
    for operation in operations:

        @given(case=operation.as_strategy(), known_venue=st.booleans())
        @hyp_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any, known_venue: bool) -> None:
            if known_venue and "venue_id" in (case.path_parameters or {}):
                case.path_parameters["venue_id"] = "v1"  # the venue with history
            response = case.call_and_validate(headers=token, checks=CHECKS)
            calls[response.status_code] = calls.get(response.status_code, 0) + 1

        fuzz()
    # the signed and authorised answers were exercised, not only refusals
    assert calls.get(200, 0) > 100, calls
