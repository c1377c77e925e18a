"""Errors of the sandbox framework itself (not the provider errors it emulates)."""

from __future__ import annotations


class SandboxError(Exception):
    """Base of sandbox errors."""


class SandboxUsageError(SandboxError):
    """A test or admin call asked for something invalid; the message names the value and the fix."""


class NotFound(SandboxError):
    """An admin call named an account, resource or object that the sandbox does not hold."""
