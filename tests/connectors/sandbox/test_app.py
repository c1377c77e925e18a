"""SandboxApp: faults, revoked credentials, the per-account rate limit, stats and admin routes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from connectors.sandbox import SandboxServer
from tests.connectors.sandbox.conftest import TOKEN, NotesSandbox


def _faults(server: SandboxServer, **changes: object) -> dict:
    answer = requests.post(f"{server.url}/_sandbox/faults", json=changes, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_api_answers_without_faults(notes_server: SandboxServer, http: requests.Session) -> None:
    answer = http.get(f"{notes_server.url}/notes")
    assert answer.status_code == 200
    assert [n["id"] for n in answer.json()["notes"]] == ["n004", "n003", "n002", "n001", "n000"]


def test_rate_limit_probability_one_gives_the_providers_429(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    _faults(notes_server, rate_limit_probability=1.0)
    answer = http.get(f"{notes_server.url}/notes")
    assert answer.status_code == 429
    assert answer.json() == {"error": "slow down", "reason": "fault"}
    assert answer.headers["Retry-After"] == "1"


def test_server_errors_use_the_configured_statuses(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    _faults(notes_server, server_error_probability=1.0, server_error_statuses=[503])
    assert {http.get(f"{notes_server.url}/notes").status_code for _ in range(5)} == {503}


def test_fault_probability_is_reproducible_with_a_seed(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    def pattern() -> list[int]:
        _faults(notes_server, rate_limit_probability=0.5, seed=7)
        return [http.get(f"{notes_server.url}/notes").status_code for _ in range(30)]

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 429}


def test_script_forces_statuses_in_order_then_recovers(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    _faults(notes_server, script=[500, 429, 503])
    statuses = [http.get(f"{notes_server.url}/notes").status_code for _ in range(4)]
    assert statuses == [500, 429, 503, 200]


def test_path_prefix_limits_faults(notes_server: SandboxServer, http: requests.Session) -> None:
    _faults(notes_server, server_error_probability=1.0, path_prefix="/echo")
    assert http.get(f"{notes_server.url}/notes").status_code == 200
    assert http.post(f"{notes_server.url}/echo", data="x").status_code in (500, 503)


def test_revoked_credential_gets_401(notes_server: SandboxServer, http: requests.Session) -> None:
    _faults(notes_server, revoked_credentials=[TOKEN])
    answer = http.get(f"{notes_server.url}/notes")
    assert answer.status_code == 401
    shown = requests.get(f"{notes_server.url}/_sandbox/faults", timeout=5).json()
    assert TOKEN not in str(shown)


def test_latency_delays_each_request(notes_server: SandboxServer, http: requests.Session) -> None:
    _faults(notes_server, latency_ms=150)
    started = time.monotonic()
    assert http.get(f"{notes_server.url}/notes").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_requests_per_second_answers_429_beyond_the_budget(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    # a low rate: 429s unless each request took over a quarter second on a loaded machine
    _faults(notes_server, requests_per_second=2)
    answers = [http.get(f"{notes_server.url}/notes") for _ in range(12)]
    statuses = [a.status_code for a in answers]
    assert statuses[:2] == [200] * 2
    assert statuses.count(429) >= 5
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json() == {"error": "slow down", "reason": "rate"}


def test_bad_fault_settings_are_refused_with_the_field_named(notes_server: SandboxServer) -> None:
    answer = requests.post(
        f"{notes_server.url}/_sandbox/faults", json={"rate_limit_probability": 2}, timeout=5
    )
    assert answer.status_code == 400
    assert "rate_limit_probability=2" in answer.json()["error"]
    answer = requests.post(f"{notes_server.url}/_sandbox/faults", json={"nope": 1}, timeout=5)
    assert answer.status_code == 400
    assert "unknown fault 'nope'" in answer.json()["error"]


def test_stats_count_by_path_and_status_and_peak_concurrency(
    notes_server: SandboxServer, http: requests.Session
) -> None:
    http.get(f"{notes_server.url}/notes")
    http.get(f"{notes_server.url}/missing")
    requests.get(f"{notes_server.url}/notes", timeout=5)  # no token: 401
    _faults(notes_server, latency_ms=200)

    def call(_: int) -> int:
        return http.get(f"{notes_server.url}/notes").status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(call, range(4))) == [200] * 4
    stats = requests.get(f"{notes_server.url}/_sandbox/stats", timeout=5).json()
    assert stats["by_path"]["/notes"] == {"200": 5, "401": 1}
    assert stats["by_path"]["/missing"] == {"404": 1}
    assert stats["total"] == 7
    assert stats["max_concurrent"] >= 2
    assert "/_sandbox/stats" not in stats["by_path"]


def test_reset_restores_state_faults_and_stats(
    notes_server: SandboxServer, notes_app: NotesSandbox, http: requests.Session
) -> None:
    requests.post(
        f"{notes_server.url}/_sandbox/mutate", json={"id": "n999", "created": 5000}, timeout=5
    )
    _faults(notes_server, server_error_probability=1.0)
    assert len(notes_app.notes) == 6
    answer = requests.post(f"{notes_server.url}/_sandbox/reset", timeout=5)
    assert answer.json() == {"reset": True}
    assert len(notes_app.notes) == 5
    assert http.get(f"{notes_server.url}/notes").status_code == 200
    assert requests.get(f"{notes_server.url}/_sandbox/stats", timeout=5).json()["total"] == 1


def test_objects_dump_and_unknown_admin_routes(notes_server: SandboxServer) -> None:
    dumped = requests.get(f"{notes_server.url}/_sandbox/objects/notes", timeout=5).json()
    assert [n["id"] for n in dumped][:2] == ["n004", "n003"]
    assert requests.get(f"{notes_server.url}/_sandbox/objects/x", timeout=5).status_code == 404
    assert requests.get(f"{notes_server.url}/_sandbox/nothing", timeout=5).status_code == 404
    bad = requests.post(
        f"{notes_server.url}/_sandbox/mutate",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("method", ["webhooks", "mutate"])
def test_base_app_refuses_what_a_provider_did_not_implement(method: str) -> None:
    from connectors.sandbox import SandboxApp

    with SandboxServer(SandboxApp()) as server:
        answer = requests.post(f"{server.url}/_sandbox/{method}", json={}, timeout=5)
    assert answer.status_code == 400


def test_a_failing_handler_still_answers_500_and_is_counted(
    notes_server: SandboxServer, notes_app: NotesSandbox, http: requests.Session
) -> None:
    def broken(request, account):
        raise RuntimeError("oops")

    notes_app.handle = broken  # type: ignore[method-assign]
    answer = http.get(f"{notes_server.url}/notes")
    assert answer.status_code == 500
    assert "oops" in answer.json()["error"]
    stats = requests.get(f"{notes_server.url}/_sandbox/stats", timeout=5).json()
    assert stats["by_path"]["/notes"] == {"500": 1}
