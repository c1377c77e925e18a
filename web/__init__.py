"""The HTTP service: provider webhooks, internal routes, monitoring and the public API."""

from __future__ import annotations

from web.app import create_app

__all__ = ["create_app"]
