"""Durable runs: a journal of completed nodes, resume after a crash, and typed interrupts.

    journal = SQLiteJournal("runs.db")
    result = await plan.run(order, run_id="order-42", journal=journal)

See the "Durable runs" guide (docs/guides/durable.md) for what is replayed and what is re-executed.
"""

from __future__ import annotations

import typing

from .errors import (
    ClaimLostError, CodeChangedError, DurableRunError, JournalCodecError, JournalCorruptError, JournalEncodeError, JournalUnavailableError, PlanChangedError,
    RecordedError, ResumeError, RunInProgressError, RunInputMismatchError,
)
from ._interrupt import Interrupt, Interrupted, ResumeToken, interrupt
from ._journal import Journal, MemoryJournal, RunHeader, RunStatus, StoredRun, StoredStep, ThreadedJournal
from ._sqlite import SQLiteJournal

if typing.TYPE_CHECKING:
    from ._postgres import PostgresJournal

__all__ = [
    "ClaimLostError", "CodeChangedError", "DurableRunError", "Interrupt", "Interrupted", "Journal", "JournalCodecError", "JournalCorruptError", "JournalEncodeError",
    "JournalUnavailableError", "MemoryJournal", "PlanChangedError", "PostgresJournal", "RecordedError", "ResumeError", "ResumeToken",
    "RunHeader", "RunInProgressError", "RunInputMismatchError", "RunStatus", "SQLiteJournal", "StoredRun", "StoredStep",
    "ThreadedJournal", "interrupt",
]


def __getattr__(name: str) -> object:
    if name == "PostgresJournal":  # psycopg is an extra: imported on first use
        from ._postgres import PostgresJournal

        return PostgresJournal
    raise AttributeError(name)
