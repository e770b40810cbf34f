"""How the traces of one durable run's attempts find each other.

A durable run that resumes (after a crash, an interrupt, a failure) is a new trace; a trace
viewer can only go from it to where the run started if its root span carries an OpenTelemetry
Link to the first attempt's root span. The durable layer, above this one, says what it knows
through `attempt`, set around one attempt of a run: the run id, whether it resumes, and the
root span context (W3C traceparent) its journal recorded. Each TracingHook's root span of that
attempt reads it (`for_root`); the first one's root span is kept here, for the durable layer
to journal when the run first starts (`DurableAttempt.traceparent`).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from opentelemetry.trace import Link, Span

    from ..executor._hooks import RunInfo

__all__ = ["DurableAttempt", "LINK_TYPE", "attempt", "for_root"]

LINK_TYPE = "resumed_from"
"""The `workflow.link` attribute of the link from a resumed attempt to the run's first one."""

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


@attrs.define(eq=False)
class DurableAttempt:
    """One attempt of a durable run, as its root spans see it. `resumed_from` is the recorded
    traceparent of the run's first traced attempt (None on a first start, or when none was
    recorded); `root` the first hook's root span of this attempt, once it started."""

    run_id: str
    fingerprint: str
    """The plan's: a plan run inside one of its nodes (another fingerprint) is not the attempt."""
    resumed: bool
    resumed_from: str | None = None
    root: Span | None = None
    hooks: set[int] = attrs.field(factory=set)
    """The hooks whose root span of this attempt started (ids): each hook has one."""

    def attributes(self) -> dict[str, object]:
        """What the attempt's root spans carry: the run id, whether it resumes, and from which trace."""
        attributes: dict[str, object] = {"workflow.run_id": self.run_id, "workflow.resumed": self.resumed}
        found = _parsed(self.resumed_from)
        if found is not None:
            attributes["workflow.resumed_from_trace_id"] = found[0]
        return attributes

    def links(self) -> list[Link] | None:
        """A link to the first attempt's root span, when one was recorded."""
        found = _parsed(self.resumed_from)
        if found is None:
            return None
        from opentelemetry.trace import Link, SpanContext, TraceFlags

        trace_id, span_id, flags = found
        context = SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True, trace_flags=TraceFlags(int(flags, 16)))
        return [Link(context, {"workflow.link": LINK_TYPE, "workflow.run_id": self.run_id})]

    def traceparent(self) -> str | None:
        """The attempt's root span as W3C traceparent (None when no hook traced it)."""
        if self.root is None:
            return None
        context = self.root.get_span_context()
        if not context.is_valid:  # a no-op tracer's span: there is nothing to link to
            return None
        return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _parsed(traceparent: str | None) -> tuple[str, str, str] | None:
    """The trace id, span id and flags of a W3C traceparent (version 00), or None."""
    found = _TRACEPARENT.fullmatch(traceparent) if traceparent is not None else None
    if found is None or found[1] == "0" * 32 or found[2] == "0" * 16:
        return None
    return found[1], found[2], found[3]


attempt: ContextVar[DurableAttempt | None] = ContextVar("tta_durable_attempt", default=None)
"""The durable run attempt in progress (set by the durable layer around it)."""


def for_root(hook: object, run: RunInfo) -> DurableAttempt | None:
    """The durable attempt whose root span `hook` is about to start for `run`, or None (not a
    durable run, or a plan run inside one of its nodes, or this hook's root already started)."""
    current = attempt.get()
    if current is None or current.fingerprint != run.fingerprint or id(hook) in current.hooks:
        return None
    current.hooks.add(id(hook))
    return current
