"""Errors of the mapping layer, grouped by what the caller should do about them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ValidationIssue:
    """One problem in a spec file, at a 1-based line and column; str() is `path:line:col: message`."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class MappingError(Exception):
    """Base of every error raised by the mappings package."""


class SpecValidationError(MappingError):
    """One or more spec files are invalid: fix every listed issue, then load again."""

    def __init__(self, errors: list[ValidationIssue]) -> None:
        self.errors = sorted(errors)
        count = len(self.errors)
        lines = "\n".join(str(issue) for issue in self.errors)
        super().__init__(f"{count} mapping spec error{'s' if count != 1 else ''}:\n{lines}")


class UnknownSpecError(MappingError, LookupError):
    """No spec matches what the caller asked for (a table, a provider resource)."""
