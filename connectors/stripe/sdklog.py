"""The SDK's request log lines, formatted only when something would print them.

`stripe._api_requestor` formats a log line for every request and every response, the whole
response body included (`log_debug("API response body", body=...)` runs a regex over it and
quotes it), before asking whether its logger or `STRIPE_LOG` wants it: about 0.3 ms per
100-charge page, 12% of fetching and parsing a page. The wrappers below ask first; when the
`stripe` logger is enabled for the level, or `stripe.log`/`STRIPE_LOG` asks for console output,
the SDK's own functions run exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import stripe._api_requestor as requestor
from stripe import _util


def _when_wanted(log: Callable[..., None], level: int) -> Callable[..., None]:
    def log_if_wanted(message: str, **params: Any) -> None:
        if _util._console_log_level() is not None or _util.logger.isEnabledFor(level):
            log(message, **params)

    log_if_wanted.wrapped = log  # type: ignore[attr-defined]
    return log_if_wanted


def install() -> None:
    """Wrap the requestor's log functions once (idempotent)."""
    if not hasattr(requestor.log_debug, "wrapped"):
        requestor.log_debug = _when_wanted(requestor.log_debug, logging.DEBUG)
    if not hasattr(requestor.log_info, "wrapped"):
        requestor.log_info = _when_wanted(requestor.log_info, logging.INFO)
