"""RunContext: what a running plan knows about itself (ids, metadata, state, deadline).

It lives in a contextvar for the duration of `Plan.run`, so any node, hook or helper can reach it
with `current_context()`, and nodes can also ask for it as their second parameter. It sits
outside `executor` because node signatures in the DSL mention it.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Final

from .errors import NoRunContextError

__all__ = ["RunContext", "WorkflowContext", "current_context", "new_correlation_id"]


def new_correlation_id() -> str:
    """A random 128-bit id in hex, like a W3C trace id."""
    return os.urandom(16).hex()


class RunContext:
    """Per-run identity and data shared by every node of one run.

    The correlation id is generated lazily on first read, so runs that never look at it pay
    nothing. `deadline` is an absolute time on the event loop's clock (`anyio.current_time()`)
    that the caller sets; the executor enforces it, never changes it, and nodes read the run's
    effective deadline with `remaining()`.
    """

    __slots__ = (
        "_correlation_id",
        "_metadata",
        "_state",
        "_tags",
        "deadline",
        "player_id",
        "session_id",
        "workflow_id",
    )

    def __init__(
        self,
        *,
        correlation_id: str | None = None,
        workflow_id: str | None = None,
        session_id: str | None = None,
        player_id: str | None = None,
        metadata: dict[str, object] | None = None,
        state: dict[str, object] | None = None,
        tags: dict[str, str] | None = None,
        deadline: float | None = None,
    ) -> None:
        self._correlation_id = correlation_id
        self.workflow_id = workflow_id
        self.session_id = session_id
        self.player_id = player_id
        self._metadata = metadata  # the dicts are created on first use: most runs never need them
        self._state = state
        self._tags = tags
        self.deadline = deadline

    @property
    def correlation_id(self) -> str:
        """The id that ties together logs, spans and metrics of this run (generated if absent)."""
        cid = self._correlation_id
        if cid is None:
            cid = self._correlation_id = new_correlation_id()
        return cid

    @correlation_id.setter
    def correlation_id(self, value: str) -> None:
        self._correlation_id = value

    @property
    def metadata(self) -> dict[str, object]:
        """Caller-supplied data about the run (read by hooks, e.g. user or tenant ids)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, object]) -> None:
        self._metadata = value

    @property
    def state(self) -> dict[str, object]:
        """Mutable data that nodes of the run share."""
        if self._state is None:
            self._state = {}
        return self._state

    @state.setter
    def state(self, value: dict[str, object]) -> None:
        self._state = value

    @property
    def tags(self) -> dict[str, str]:
        """Short string labels (for telemetry)."""
        if self._tags is None:
            self._tags = {}
        return self._tags

    @tags.setter
    def tags(self, value: dict[str, str]) -> None:
        self._tags = value

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or None when there is none.

        Inside a run of this context, that is the run's own deadline: the earliest of its
        `timeout=`, this context's `deadline` and any enclosing run's (the executor never writes
        it onto this object, which overlapping runs may share).
        """
        deadline = self.deadline
        if _current.get(None) is self:
            effective = _run_deadline.get()
            if effective is not None:
                deadline = effective if deadline is None else min(deadline, effective)
        if deadline is None:
            return None
        import anyio

        return max(0.0, deadline - anyio.current_time())

    def __repr__(self) -> str:
        return (
            f"RunContext(correlation_id={self.correlation_id!r}, workflow_id={self.workflow_id!r}, "
            f"session_id={self.session_id!r}, metadata={self.metadata!r}, state={self.state!r})"
        )


WorkflowContext = RunContext
"""The seed API's name for RunContext; both names refer to the same class."""

_current: Final[ContextVar[RunContext]] = ContextVar("tta_run_context")

_run_deadline: Final[ContextVar[float | None]] = ContextVar("tta_run_deadline", default=None)
"""The deadline of the innermost run in this task (the executor sets it; see `remaining()`)."""


def current_context() -> RunContext:
    """The RunContext of the plan running in this task.

    Raises NoRunContextError outside of `Plan.run`.
    """
    try:
        return _current.get()
    except LookupError:
        raise NoRunContextError("current_context() called outside of a running plan (use Plan.run)") from None
