"""What a node declares about itself, for the optimizer and the analysis.

Optimizations only touch nodes that declare they are safe to touch: the default is the safe
assumption (impure, not idempotent, unknown cost and latency).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["NO_TRAITS", "Traits"]


def _keys(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class Traits:
    """Declarations a node makes (see `Node.declare`)."""

    pure: bool = False
    """Same input, same output, no side effects: results may be shared, deduplicated, cached."""
    idempotent: bool = False
    """Running it twice has the effect of running it once: safe to retry or hedge."""
    reads: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    """RunContext.state keys it reads."""
    writes: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    """RunContext.state keys it writes."""
    passthrough: bool = False
    """It returns its input unchanged (it works through the state): steps like this whose reads
    and writes do not conflict may run concurrently."""
    cost: float | None = None
    """Worst-case cost of one call, in USD."""
    max_latency: float | None = None
    """Worst-case duration of one call, in seconds."""
    model_calls: int | None = None
    """The most model (LLM) calls one call makes, for a node that hides them (a compiled
    sub-agent run as a tool); nodes marked as LLM calls count one without declaring it."""
    streaming: bool = False
    """It streams its result (a retry after the first chunk would duplicate output)."""
    attributes: tuple[tuple[str, str | int | float | bool], ...] = ()
    """Telemetry attributes for this node's spans (e.g. OpenTelemetry GenAI attributes)."""
    internal: bool = False
    """A primitive's own bookkeeping step (an agent's prompt, stop test and answer): traces
    give it a span only when asked for every op (`TracingHook(detail="all")`)."""

    @property
    def repeatable(self) -> bool:
        """Safe to run more than once (pure or idempotent)."""
        return self.pure or self.idempotent


NO_TRAITS = Traits()
