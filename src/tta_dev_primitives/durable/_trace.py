"""A durable run's trace across its attempts: the first traced attempt's root span is journaled,
and every later attempt's root span links to it (see observability._run_links).

The root span context is one more journal row, under `TRACE_KEY` (a key no op has: op keys
start with a digit), so every store keeps it without a schema change, custom stores included.
It is written with the attempt's first step (or when the attempt fails before recording one),
once the root span has started; without tracing nothing is written.
"""

from __future__ import annotations

from .._log_masking import library_logger
from ..observability._run_links import DurableAttempt
from ._journal import StoredRun, checksum

__all__ = ["TRACE_KEY", "attempt_of", "trace_payload"]

_log = library_logger("tta_dev_primitives.durable")

TRACE_KEY = "@traceparent"
"""The journal key of the root span context (W3C traceparent) of a run's first traced attempt."""


def attempt_of(stored: StoredRun, fingerprint: str) -> tuple[DurableAttempt, bool]:
    """The attempt about to run `stored`, and whether its root span context is to be journaled
    (the run has none yet). It resumes when the run has a history (steps or a status from an
    earlier attempt); it links to the trace the journal recorded, if any."""
    row = next((step for step in stored.steps if step.key == TRACE_KEY), None)
    resumed = bool(stored.steps) or stored.status != "running"
    recorded: str | None = None
    if row is not None and checksum(row.key, row.payload) == row.crc:
        recorded = row.payload.decode("ascii", "replace")
    elif row is not None:  # kept (never written twice), not linked to: a link is not worth stopping a run for
        _log.warning("run %r: the journaled trace context fails its checksum; its spans do not link to its first attempt", stored.header.run_id)
    return DurableAttempt(stored.header.run_id, fingerprint, resumed, recorded), row is None


def trace_payload(attempt: DurableAttempt) -> bytes | None:
    """What to journal under TRACE_KEY for `attempt`: its root span's traceparent, or None
    (no hook traced it)."""
    traceparent = attempt.traceparent()
    return None if traceparent is None else traceparent.encode("ascii")
