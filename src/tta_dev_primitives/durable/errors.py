"""Errors of durable runs: each names the run, and the node or the field at fault.

The classes live in `tta_dev_primitives.errors` (with every public exception of the package);
this module keeps their old import path, giving the very same classes.
"""

from __future__ import annotations

from ..errors import (
    ClaimLostError,
    CodeChangedError,
    DurableRunError,
    JournalCodecError,
    JournalCorruptError,
    JournalEncodeError,
    JournalUnavailableError,
    PlanChangedError,
    RecordedError,
    ResumeError,
    RunInProgressError,
    RunInputMismatchError,
)

__all__ = [
    "ClaimLostError", "CodeChangedError", "DurableRunError", "JournalCodecError", "JournalCorruptError", "JournalEncodeError", "JournalUnavailableError",
    "PlanChangedError", "RecordedError", "ResumeError", "RunInProgressError", "RunInputMismatchError",
]
