"""Errors of durable runs: each names the run, and the node or the field at fault."""

from __future__ import annotations

from ..errors import PrimitivesError

__all__ = [
    "ClaimLostError", "CodeChangedError", "DurableRunError", "JournalCodecError", "JournalCorruptError", "JournalEncodeError", "JournalUnavailableError",
    "PlanChangedError", "RecordedError", "ResumeError", "RunInProgressError", "RunInputMismatchError",
]


class DurableRunError(PrimitivesError):
    """Base class of the errors of durable runs."""


class JournalCodecError(DurableRunError, TypeError):
    """A journaled node's declared output type cannot be journaled with a safe codec; raised
    before the run starts, naming the node and the type."""


class JournalEncodeError(DurableRunError, TypeError):
    """A node returned a value its journal codec cannot record exactly (a type other than the
    declared one, NaN inside JSON-only data, an object of no known shape); the run stops
    before the next node sees the value."""


class JournalCorruptError(DurableRunError):
    """A journal row fails its checksum, is truncated or does not decode as the node's type.
    The run stops: nothing is silently re-run in its place."""


class JournalUnavailableError(DurableRunError, ConnectionError):
    """The journal store could not be reached or refused a write."""


class PlanChangedError(DurableRunError):
    """A run id was resumed with a plan whose fingerprint differs from the one that started it;
    the message shows what changed."""


class CodeChangedError(PlanChangedError):
    """A run was resumed with code that changed in a node whose journaled output it would
    replay (same plan structure, another function body); the message names the nodes."""


class RunInputMismatchError(DurableRunError, ValueError):
    """A run id was started again with a different input than the one it was started with."""


class RunInProgressError(DurableRunError):
    """Another live run (in this process or another one) holds the run id."""


class ClaimLostError(RunInProgressError):
    """Another run took over this run's claim (it judged this one gone: a lost connection, a
    process taken for dead); this run stops so that the two never both go on."""


class ResumeError(DurableRunError, ValueError):
    """A resume token does not fit the run: unknown run, already answered, another plan, or an
    answer of the wrong type."""


class RecordedError(DurableRunError, RuntimeError):
    """An error recorded by an earlier attempt of a durable run (its process may be gone):
    `error_type` and `message` are the original's."""

    def __init__(self, message: str, *, error_type: str, original: str, transient: bool = False) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.original = original
        self.replays_transient = transient
        """The original error was transient (a Retry around the saga retries this one too)."""
