"""The extract-and-load task and the retry decision, run as plain functions (`.fn()`)."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from flows.retrying import ResourceFailedError, worth_retrying
from flows.sync import sync_resource
from tests.flows.conftest import KEY, staging_count


def test_a_resource_task_loads_its_rows_and_returns_the_counts(ctx, integration):
    outcome = sync_resource.fn(integration.id, "customers")

    assert outcome["status"] == "success"
    assert outcome["rows_loaded"] == 12
    assert staging_count(ctx, "stripe_customers") == (12, 12)


def test_a_5xx_fails_the_task_with_a_retriable_error(ctx, integration, sandbox):
    sandbox[0].injector.update({"script": [503]})

    with pytest.raises(ResourceFailedError) as failed:
        sync_resource.fn(integration.id, "customers")

    assert failed.value.retriable is True
    assert worth_retrying(None, None, Failed(data=failed.value)) is True


def test_a_401_is_not_worth_retrying_and_asks_for_a_reconnect(ctx, integration, sandbox, store):
    sandbox[0].injector.update({"revoked_credentials": [KEY]})

    with pytest.raises(ResourceFailedError) as failed:
        sync_resource.fn(integration.id, "customers")

    assert failed.value.error_class == "AuthenticationError"
    assert worth_retrying(None, None, Failed(data=failed.value)) is False
    assert store.get_integration(integration.id).status == "needs_reconnect"
    assert KEY not in str(failed.value)


def test_an_unknown_exception_is_not_retried():
    assert worth_retrying(None, None, Failed(data=ValueError("bug"))) is False
