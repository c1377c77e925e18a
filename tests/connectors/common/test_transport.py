"""The common request loop, as a provider's sync sees it: throttles and outages retried within
the rate budget, refused credentials failed at once, secrets never in a message, a refused token
renewed once."""

from __future__ import annotations

import pytest

from connectors.common.retry import RetryPolicy
from connectors.common.tokenstore import MemoryTokenStore
from connectors.errors import (
    AuthenticationError,
    FatalAPIError,
    RetriableAPIError,
    TokenRefusedError,
)
from tests.connectors.common.conftest import (
    RECONNECT,
    SECRET,
    DemoGrant,
    DemoTransport,
    Reply,
    ScriptedProvider,
    granted,
    oauth_keeper,
)


def test_throttles_and_outages_are_retried_each_attempt_spending_the_budget(
    provider: ScriptedProvider,
):
    provider.answer(
        "/things", Reply(429, {}, {"Retry-After": "2"}), Reply(503), Reply(200, {"n": 1})
    )
    waits: list[float] = []
    transport = DemoTransport(provider.url, sleep=waits.append)

    assert transport.get("/things") == {"n": 1}
    assert provider.served("/things") == 3
    assert transport.budget.requests == 3, "every attempt spends a rate token"
    assert len(waits) == 2 and waits[0] >= 2.0, "a 429 waits at least as long as Retry-After"


def test_retries_stop_at_the_policys_attempts(provider: ScriptedProvider):
    provider.answer("/things", *[Reply(503, {"why": "down"})] * 5)
    policy = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)
    transport = DemoTransport(provider.url, policy=policy, sleep=lambda _: None)

    with pytest.raises(RetriableAPIError, match="HTTP 503") as caught:
        transport.get("/things")
    assert provider.served("/things") == 3
    assert any("gave up after 3 attempt(s)" in note for note in caught.value.__notes__)


def test_a_refused_credential_is_a_reconnect_failure_after_one_request(provider: ScriptedProvider):
    provider.answer("/things", Reply(401, {"error": "bad key"}))
    waits: list[float] = []

    with pytest.raises(AuthenticationError, match=RECONNECT):
        DemoTransport(provider.url, sleep=waits.append).get("/things")
    assert provider.served("/things") == 1 and waits == [], "a 401 is not retried"


def test_a_rejected_request_is_fatal_after_one_request(provider: ScriptedProvider):
    provider.answer("/things", Reply(400, {"error": "bad cursor"}))

    with pytest.raises(FatalAPIError, match="HTTP 400.*bad cursor"):
        DemoTransport(provider.url).get("/things")
    assert provider.served("/things") == 1


def test_a_body_that_is_not_json_is_retried(provider: ScriptedProvider):
    provider.answer("/things", Reply(200, b"<html>proxy error</html>"), Reply(200, {"n": 2}))

    assert DemoTransport(provider.url).get("/things") == {"n": 2}
    assert provider.served("/things") == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
def test_secrets_never_reach_an_error_message(provider: ScriptedProvider, status: int):
    echo = Reply(status, {"error": f"key {SECRET} not accepted", "key": SECRET[:-4] + "****"})
    provider.answer("/things", *[echo] * 5)
    policy = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)

    with pytest.raises(Exception) as caught:
        DemoTransport(provider.url, policy=policy, sleep=lambda _: None).get("/things")
    assert f"HTTP {status}" in str(caught.value) and "<api key>" in str(caught.value)
    assert SECRET not in str(caught.value)


def _oauth(url: str, grant: DemoGrant) -> DemoTransport:
    oauth_keeper(url, MemoryTokenStore(), grant)
    assert grant.transport is not None
    return grant.transport


def test_a_refused_token_is_renewed_once_and_the_request_sent_again(provider: ScriptedProvider):
    provider.answer("/things", Reply(401, {"error": "token expired"}), Reply(200, {"n": 3}))
    provider.answer("/token", Reply(200, granted("demo-access-1", "demo-refresh-2")))

    assert _oauth(provider.url, DemoGrant()).get("/things") == {"n": 3}
    sent = [auth for path, auth in provider.seen if path == "/things"]
    assert sent == ["Bearer demo-access-0", "Bearer demo-access-1"]
    assert provider.served("/token") == 1


def test_a_refused_token_that_cannot_be_renewed_fails_after_one_request(provider: ScriptedProvider):
    provider.answer("/things", Reply(401, {"error": "token expired"}))

    with pytest.raises(TokenRefusedError, match=RECONNECT):
        _oauth(provider.url, DemoGrant(refresh_token=None)).get("/things")
    assert provider.served("/things") == 1 and provider.served("/token") == 0


def test_a_token_refused_again_after_renewal_says_reconnect(provider: ScriptedProvider):
    provider.answer("/things", *[Reply(401, {"error": "token expired"})] * 3)
    provider.answer("/token", Reply(200, granted("demo-access-1", "demo-refresh-2")))

    with pytest.raises(TokenRefusedError, match=RECONNECT):
        _oauth(provider.url, DemoGrant()).get("/things")
    assert provider.served("/things") == 2 and provider.served("/token") == 1


def test_a_token_endpoint_outage_is_retried_by_the_request_not_multiplied(
    provider: ScriptedProvider,
):
    provider.answer("/token", *[Reply(503)] * 9)
    keeper = oauth_keeper(provider.url, MemoryTokenStore(), DemoGrant(expires_in=30))
    policy = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)
    transport = DemoTransport(provider.url, credential=keeper, policy=policy)

    with pytest.raises(RetriableAPIError, match="token: HTTP 503"):
        transport.get("/things")
    assert provider.served("/token") == 3, "one refresh an attempt, each sent once"
    assert provider.served("/things") == 0
