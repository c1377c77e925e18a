from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.web.conftest import RecordingLauncher, auth, make_token
from web.openapi import PAGE_BLUEPRINTS

METHODS = {"GET", "POST", "DELETE", "PUT", "PATCH"}


def routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in PAGE_BLUEPRINTS:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods & METHODS}
    return found


def test_openapi_document_lists_exactly_the_apps_routes(app: Flask, client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == routes(app)


@pytest.mark.slow
def test_fuzzed_requests_never_get_a_server_error(
    settings: Any, store: Any, integrations: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every operation in /openapi.json, with generated parameters and bodies, with and
    without a valid bearer token: no answer is a 5xx."""
    from web import create_app

    for name in ("QUICKBOOKS", "SQUARE", "MAILCHIMP"):
        for key in ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI"):
            monkeypatch.setenv(f"INTSYNC_OAUTH_{name}_{key}", "https://app.example.com/x")

    app = create_app(
        {
            "settings": settings,
            "store": store,
            "launcher": RecordingLauncher(),
            "warehouse_probe": lambda: None,
        }
    )
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    token = auth(make_token(venues=("v1",), roles=("admin",)))
    operations = [result.ok() for result in schema.get_all_operations()]
    # every route but /openapi.json itself, which schemathesis leaves out
    assert len(operations) == len(routes(app)) - 1
    for operation in operations:

        @given(case=operation.as_strategy(), with_token=st.booleans())
        @hyp_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any, with_token: bool) -> None:
            case.call_and_validate(headers=token if with_token else {}, checks=[not_a_server_error])

        fuzz()
