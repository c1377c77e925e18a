"""Where a realm's rotating OAuth tokens are kept between runs: the common token stores
(connectors.common.tokenstore), under the names QuickBooks code has always used.

QuickBooks rotates the refresh token on every refresh, and the old one stops working once the new
one has been used. A token keeper therefore saves what a refresh returned (encrypted, committed)
before it uses any of it, compare-and-swap on a version.
"""

from __future__ import annotations

from connectors.common.tokenstore import IntegrationTokenStore, MemoryTokenStore, StoredTokens
from connectors.common.tokenstore import RecordStore as TokenStore

__all__ = ["IntegrationTokenStore", "MemoryTokenStore", "StoredTokens", "TokenStore"]
