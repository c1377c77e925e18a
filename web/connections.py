"""What a tenant may ask of a new connection through the API: where it points, which venue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from intsync.config import origin_of
from warehouse.errors import VenueOwnedError
from web.errors import ApiError
from web.state import state


def check_allowed_base_url(base_url: str, allowlist: Sequence[str]) -> None:
    """403 unless the base URL's origin is one the operators allow (INTSYNC_BASE_URL_ALLOWLIST):
    a connection pointed anywhere would have syncs call any address, inside the network too."""
    if origin_of(base_url) in allowlist:
        return
    raise ApiError(
        403,
        "base_url_not_allowed",
        "baseUrl points the connection at another host, which only operators may do: leave it "
        "out, or ask them to add its origin to INTSYNC_BASE_URL_ALLOWLIST",
    )


def add_owned_integration(**fields: Any) -> Any:
    """Store the integration; 409 when its venue belongs to another tenant."""
    try:
        return state().store.add_integration(**fields)
    except VenueOwnedError as exc:
        raise ApiError(409, "venue_owned_elsewhere", str(exc)) from None
