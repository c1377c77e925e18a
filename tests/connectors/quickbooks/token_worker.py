"""A separate process that asks for a QuickBooks access token, as a sync would.

    python -m tests.connectors.quickbooks.token_worker STORE_URL INTEGRATION_ID GO_FILE

Waits for GO_FILE to exist (so several workers start together), then prints the access token.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from connectors.quickbooks.auth import TokenKeeper
from connectors.quickbooks.entities import DISCOVERY_PATH
from connectors.quickbooks.tokens import IntegrationTokenStore
from warehouse.errors import ConcurrentUpdateError
from warehouse.store import open_store

KEY = "qb-test-key-0123456789"


def main() -> None:
    store_url, integration_id, go = sys.argv[1:4]
    with open_store(store_url, KEY) as store:
        integration = store.get_integration(integration_id)
        keeper = TokenKeeper(
            integration.credentials,
            f"{integration.base_url}{DISCOVERY_PATH}",
            IntegrationTokenStore(store, integration_id, ConcurrentUpdateError),
        )
        while not Path(go).exists():
            time.sleep(0.005)
        print(keeper.access_token(), flush=True)
        keeper.close()


if __name__ == "__main__":
    main()
