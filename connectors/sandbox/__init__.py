"""Local emulators of provider APIs, built on one shared framework.

`SandboxApp` (WSGI app with faults, stats and the `/_sandbox/` admin API), `SandboxServer`
(serves one in a thread), `Collection` (sorted, indexed objects), `SeedSpec` (deterministic
seeding), `deliver` (signed webhooks). Providers: see `connectors.sandboxes`, which reads their
descriptors.
"""

from __future__ import annotations

from connectors.sandbox.app import Denied, SandboxApp
from connectors.sandbox.collection import Collection, CreatedRange, UnknownCursor
from connectors.sandbox.errors import NotFound, SandboxError, SandboxUsageError
from connectors.sandbox.faults import Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.seeding import SeedSpec
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.webhooks import Delivery, deliver

__all__ = [
    "Collection",
    "CreatedRange",
    "Delivery",
    "Denied",
    "Faults",
    "NotFound",
    "Response",
    "SandboxApp",
    "SandboxError",
    "SandboxRequest",
    "SandboxServer",
    "SandboxUsageError",
    "SeedSpec",
    "UnknownCursor",
    "deliver",
    "json_response",
]
