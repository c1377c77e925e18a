"""Many reads of one realm at once share its budget: never more than 10 requests in flight."""

from __future__ import annotations

import threading

import pytest

from connectors.quickbooks.client import QuickBooksConnector
from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.quickbooks.tokens import MemoryTokenStore
from connectors.sandbox import SandboxServer
from tests.connectors.quickbooks.conftest import FAST_RETRY, REALM


@pytest.mark.slow
def test_thirty_concurrent_reads_never_exceed_ten_in_flight(
    qb_sandbox: QuickBooksSandbox, qb_server: SandboxServer
):
    qb_sandbox.injector.update({"latency_ms": 50, "path_prefix": "/v3/"})
    tokens = MemoryTokenStore()  # one integration's tokens, as in the store
    resources = ["invoices", "customers", "payments", "sales_receipts", "items", "accounts"]
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        connector = QuickBooksConnector(
            qb_sandbox.credentials(REALM),
            qb_server.url,
            token_store=tokens,
            retry_policy=FAST_RETRY,
            page_size=100,
        )
        try:
            pages = connector.read(resources[n % len(resources)], {})
            results[n] = sum(len(p.records) for p in pages)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connector.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 30
    gate = qb_sandbox.gates.snapshot()[REALM]
    assert gate["peak_in_flight"] == 10, "the cap was reached and never passed"
    assert gate["throttled"] == 0, "no request was turned away"
    assert qb_sandbox.oauth.realms[REALM].refreshes == 1, "one refresh served all 30"
