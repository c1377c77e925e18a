"""Pipeline errors, by what the caller should do."""

from __future__ import annotations


class PipelineError(Exception):
    """A sync could not run; the message says why."""


class NoMappingError(PipelineError):
    """A resource was asked for that no staging spec maps: add a spec or drop the resource."""


class LoadFailedError(PipelineError):
    """The warehouse refused a load; the packages are kept and finished by the next run."""

    retriable = True


class LoadRefusedError(LoadFailedError):
    """The warehouse refused a load for good (a value its column cannot take, a constraint):
    the load was abandoned, no cursor moved; fix the cause (`intsync mappings plan`) and sync."""

    retriable = False


class SchemaChangePendingError(PipelineError):
    """A spec changed a column's type and the table still has the old one: rebuild it with
    `intsync remap --table T` (see `intsync mappings plan`), then sync."""


class ReadFailedError(PipelineError):
    """Reading a resource failed inside intsync (a worker process died): run the sync again."""

    retriable = True


class AllQuarantinedError(PipelineError):
    """Every record a resource read was quarantined: the spec does not fit what the provider
    sends. Nothing moved the cursor; fix the spec (see `intsync quarantine`) and sync again."""

    retriable = False
