"""The original `recovery.timeout`: `TimeoutPrimitive(primitive, timeout_seconds, fallback=None,
track_timeouts=True)` cancels `primitive` after `timeout_seconds` and returns `fallback`'s result
for the same input, or raises `TimeoutError("Execution exceeded {timeout_seconds}s timeout")`.

With `track_timeouts`, each timeout adds one to `context.state["timeout_count"]` and appends
`{"primitive", "timeout", "had_fallback"}` to `context.state["timeout_history"]`. Log events
`timeout_success`, `timeout_exceeded`, `executing_fallback`.

`TimeoutError` here is our NodeTimeoutError (a subclass of the builtin TimeoutError), raised with
the original's message: `except TimeoutError` written against this module catches it, and so
does `except builtins.TimeoutError`. Only the time limit counts as a timeout: a TimeoutError the
primitive raises itself propagates unchanged. The limit is the Clock's (`clock=`, the system clock
by default; tests pass a FakeClock).
"""

from __future__ import annotations

from typing import TypeVar

from ..context import RunContext, WorkflowContext
from ..core.base import WorkflowPrimitive
from ..dsl._core import Node
from ..errors import ConfigError
from ..errors import NodeTimeoutError as TimeoutError
from ..observability._logging import get_logger
from ..stdlib._clock import SYSTEM_CLOCK, Clock
from ._support import child, kind

__all__ = ["TimeoutError", "TimeoutPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")


class TimeoutPrimitive(WorkflowPrimitive[In, Out]):
    """Bound `primitive`'s time to `timeout_seconds`; on timeout run `fallback` (if given)."""

    def __init__(
        self: TimeoutPrimitive[A, B],
        primitive: Node[A, B],
        timeout_seconds: float,
        fallback: Node[A, B] | None = None,
        track_timeouts: bool = True,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.primitive: Node[A, B] = child("TimeoutPrimitive", "primitive", primitive)
        seconds: object = timeout_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ConfigError("TimeoutPrimitive", "timeout_seconds", "a positive number of seconds", seconds)
        self.timeout_seconds = timeout_seconds
        # the original's attribute name, over Node.fallback (the fluent method) on these objects
        self.fallback: Node[A, B] | None = None if fallback is None else child("TimeoutPrimitive", "fallback", fallback)  # type: ignore[assignment]
        self.track_timeouts = track_timeouts
        self.clock = clock

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """`primitive`'s result within the limit, else `fallback`'s, else TimeoutError."""
        if context is None:
            context = RunContext()
        primitive: Node[In, Out] = self.primitive  # type: ignore[assignment]  # built as TimeoutPrimitive[A, B]
        fallback: Node[In, Out] | None = self.fallback  # type: ignore[assignment]
        with self.clock.cancel_after(self.timeout_seconds) as scope:
            result = await primitive.execute(input_data, context)
        if not scope.cancelled_caught:
            logger.info("timeout_success", primitive=kind(primitive), timeout=self.timeout_seconds, workflow_id=context.workflow_id)
            return result
        logger.warning(
            "timeout_exceeded", primitive=kind(primitive), timeout=self.timeout_seconds, has_fallback=fallback is not None,
            workflow_id=context.workflow_id,
        )
        if self.track_timeouts:
            self._track(context, kind(primitive), fallback is not None)
        if fallback is not None:
            logger.info("executing_fallback", fallback=kind(fallback))
            return await fallback.execute(input_data, context)
        raise timeout_error(kind(primitive), self.timeout_seconds)

    def _track(self, context: WorkflowContext, primitive: str, had_fallback: bool) -> None:
        """Count the timeout in `context.state` (`timeout_count`, `timeout_history`)."""
        state = context.state
        count = state.get("timeout_count", 0)
        state["timeout_count"] = (count if isinstance(count, int) else 0) + 1
        history = state.setdefault("timeout_history", [])
        if isinstance(history, list):
            history.append({"primitive": primitive, "timeout": self.timeout_seconds, "had_fallback": had_fallback})


def timeout_error(primitive: str, seconds: float) -> TimeoutError:
    """The error of `primitive` running out of `seconds`, with the original's message
    (`Execution exceeded 0.1s timeout`, the number as the caller wrote it)."""
    error = TimeoutError(primitive, seconds)
    error.args = (f"Execution exceeded {seconds}s timeout",)
    return error
