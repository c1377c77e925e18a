"""Pipeline errors, by what the caller should do; a failed resource's error as its runners act
on it (`Failure`)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import AuthenticationError, ConfigurationError, ConnectorError


class PipelineError(Exception):
    """A sync could not run; the message says why."""

    retriable = False


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


@dataclass(frozen=True)
class Failure:
    """Why a resource failed, as the runners act on it (retry it, count it on the breakers),
    decided once from the error itself. `error_class` is the class's name, as the sync log
    records it."""

    error_class: str
    # another try may succeed: the error class says `retriable`
    retriable: bool = False
    # the provider misbehaved (a connector error), not our warehouse or mappings
    provider_fault: bool = False
    # it was one account's credentials or settings, not the provider failing for everyone
    account_only: bool = False

    @classmethod
    def of(cls, error: BaseException) -> Failure:
        """The failure `error` is."""
        return cls(
            type(error).__name__,
            retriable=isinstance(error, ConnectorError | PipelineError) and error.retriable,
            provider_fault=isinstance(error, ConnectorError),
            account_only=isinstance(error, AuthenticationError | ConfigurationError),
        )
