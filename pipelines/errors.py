"""Pipeline errors, by what the caller should do."""

from __future__ import annotations


class PipelineError(Exception):
    """A sync could not run; the message says why."""


class NoMappingError(PipelineError):
    """A resource was asked for that no staging spec maps: add a spec or drop the resource."""


class LoadFailedError(PipelineError):
    """The warehouse refused a load; the packages are kept and finished by the next run."""

    retriable = True


class ReadFailedError(PipelineError):
    """Reading a resource failed inside intsync (a worker process died): run the sync again."""

    retriable = True
