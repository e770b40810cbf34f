"""Timeout: bound one node's time; raises NodeTimeoutError (a builtin TimeoutError subclass).

    @Timeout(seconds=5.0)                        # decorator on an async function
    async def long_running_task() -> str: ...

    Timeout(seconds=2.0)(fetch)                  # wrapper around a node
    fetch.timeout(2.0)                           # fluent form
    fetch.timeout(2.0, fallback=cached_answer)   # run `fallback` on timeout instead of raising
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Never, TypeVar

from ...dsl.core import Node
from ..clock import SYSTEM_CLOCK, Clock
from ..guard import GuardNode, GuardPolicy, GuardSite, guard_function
from ...validate import check_positive
from .errors import NodeTimeoutError

__all__ = ["Timeout", "TimeoutPrimitive"]

A = TypeVar("A")
B = TypeVar("B")


class Timeout(GuardPolicy):
    """A time limit, usable as a decorator, a wrapper and through `Node.timeout`."""

    kind = "timeout"

    def __init__(
        self, seconds: float, *, fallback: Node[Never, object] | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.seconds = check_positive("Timeout", "seconds", seconds)
        candidate: object = fallback  # checked at runtime for callers without a type checker
        if candidate is not None and not isinstance(candidate, Node):
            from ...errors import BuildError

            raise BuildError(f"Timeout: fallback must be a Node, got {type(fallback).__name__}")
        self.fallback = fallback
        self.clock = clock

    def describe(self) -> dict[str, object]:
        return {"seconds": self.seconds}

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        seconds, cancel_after, name = self.seconds, self.clock.cancel_after, site.info.name

        async def timed(x: object) -> object:
            with cancel_after(seconds):
                return await call(x)
            site.emit("on_timeout", seconds)
            raise NodeTimeoutError(name, seconds)

        return timed

    def wrap_node(self, target: Node[Never, object]) -> Node[Never, object]:
        guarded: Node[Never, object] = GuardNode(target, self)
        if self.fallback is None:
            return guarded
        from .fallback import FallbackNode

        return FallbackNode(guarded, (self.fallback,), only_on=(NodeTimeoutError,))

    def wrap_function(self, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        if self.fallback is not None:
            from ...errors import BuildError

            raise BuildError("Timeout: fallback= applies to nodes; on a function, catch NodeTimeoutError instead")
        return guard_function(self, fn)

    def __repr__(self) -> str:
        return f"Timeout(seconds={self.seconds:g})"


class TimeoutPrimitive(GuardNode[A, B]):
    """The wrapper form: `TimeoutPrimitive(node, seconds=5.0)`."""

    def __init__(self, inner: Node[A, B], *, seconds: float, clock: Clock = SYSTEM_CLOCK, name: str | None = None) -> None:
        super().__init__(inner, Timeout(seconds, clock=clock), name=name)
