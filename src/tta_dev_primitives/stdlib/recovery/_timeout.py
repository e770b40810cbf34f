"""Timeout: bound one node's time; raises NodeTimeoutError (a builtin TimeoutError subclass).

    @Timeout(seconds=5.0)                        # decorator on an async function
    async def long_running_task() -> str: ...

    Timeout(seconds=2.0)(fetch)                  # wrapper around a node
    fetch.timeout(2.0)                           # fluent form
    fetch.timeout(2.0, fallback=cached_answer)   # run `fallback` on timeout instead of raising
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Never, TypeVar

from ...compiler._ir import Op
from ...compiler._streams import stream_shape
from ...errors import ConfigError, StreamInterruptedError
from ...executor._emit import OpenFn
from ...executor._streaming import close_quietly

from ...dsl._core import Node
from .._clock import SYSTEM_CLOCK, Clock
from .._guard import GuardNode, GuardPolicy, GuardSite, guard_function
from ..._validate import check_optional_positive, check_positive
from .errors import NodeTimeoutError

__all__ = ["Timeout", "TimeoutPrimitive"]

A = TypeVar("A")
B = TypeVar("B")


class Timeout(GuardPolicy):
    """A time limit, usable as a decorator, a wrapper and through `Node.timeout`."""

    kind = "timeout"
    limits_time = True
    wants_fallback_outside = True

    def __init__(
        self,
        seconds: float,
        *,
        first_chunk: float | None = None,
        idle: float | None = None,
        fallback: Node[Never, object] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.seconds = check_positive("Timeout", "seconds", seconds)
        self.first_chunk = check_optional_positive("Timeout", "first_chunk", first_chunk)
        """For a streaming node: the longest wait for its first chunk."""
        self.idle = check_optional_positive("Timeout", "idle", idle)
        """For a streaming node: the longest wait between two chunks."""
        candidate: object = fallback  # checked at runtime for callers without a type checker
        if candidate is not None and not isinstance(candidate, Node):
            from ...errors import BuildError

            raise BuildError(f"Timeout: fallback must be a Node, got {type(fallback).__name__}")
        self.fallback = fallback
        self.clock = clock

    def describe(self) -> dict[str, object]:
        limits = {"first_chunk": self.first_chunk, "idle": self.idle}
        return {"seconds": self.seconds, **{k: v for k, v in limits.items() if v is not None}}

    def latency(self, child: float) -> float:
        return min(self.seconds, child)

    def bind(self, inner: Op) -> None:
        if (self.first_chunk is not None or self.idle is not None) and stream_shape(inner) is None:
            field = "first_chunk" if self.first_chunk is not None else "idle"
            raise ConfigError(
                f"Timeout around {inner.name!r}", field, "a streaming node to apply to (it produces no chunks)", getattr(self, field)
            )

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        seconds, cancel_after, name = self.seconds, self.clock.cancel_after, site.info.name

        async def timed(x: object) -> object:
            with cancel_after(seconds):
                return await call(x)
            site.emit("on_timeout", seconds)
            raise NodeTimeoutError(name, seconds)

        return timed

    def wrap_stream(self, open_: OpenFn, site: GuardSite) -> OpenFn:
        """On a stream, `seconds` bounds the whole stream (first chunk to last), `first_chunk`
        the wait for the first chunk and `idle` each wait for the next. Before the first chunk
        the timeout is a NodeTimeoutError (an outer retry may repeat the call); after it, a
        StreamInterruptedError caused by one."""
        total, first_limit, idle, clock, name = self.seconds, self.first_chunk, self.idle, self.clock, site.info.name

        async def timed(x: object) -> AsyncIterator[object]:
            start = clock.now()
            iterator = open_(x)
            produced = 0
            try:
                while True:
                    now = clock.now()
                    limit, seconds = start + total, total
                    if produced == 0 and first_limit is not None and start + first_limit < limit:
                        limit, seconds = start + first_limit, first_limit
                    if produced and idle is not None and now + idle < limit:
                        limit, seconds = now + idle, idle
                    with clock.cancel_after(max(limit - now, 0.0)) as scope:
                        try:
                            chunk = await iterator.__anext__()
                        except StopAsyncIteration:
                            return
                    if scope.cancelled_caught:
                        site.emit("on_timeout", seconds)
                        error = NodeTimeoutError(name, seconds)
                        if produced:
                            raise StreamInterruptedError(name, produced, error) from error
                        raise error
                    produced += 1
                    yield chunk
            finally:
                await close_quietly(iterator)

        return timed

    def wrap_node(self, target: Node[Never, object]) -> Node[Never, object]:
        guarded: Node[Never, object] = GuardNode(target, self)
        if self.fallback is None:
            return guarded
        from ._fallback import FallbackNode

        return FallbackNode(guarded, (self.fallback,), only_on=(NodeTimeoutError,))

    def wrap_function(self, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        if self.fallback is not None:
            from ...errors import BuildError

            raise BuildError("Timeout: fallback= applies to nodes; on a function, catch NodeTimeoutError instead")
        return guard_function(self, fn)

    def __repr__(self) -> str:
        return f"Timeout(seconds={self.seconds:g})"


class TimeoutPrimitive(GuardNode[A, B]):
    """The wrapper form: `TimeoutPrimitive(node, seconds=5.0)`.

    The original package's spelling `TimeoutPrimitive(primitive, timeout_seconds, ...)` is
    accepted too (`track_timeouts` is: timeouts always reach the hooks); its `fallback=` is
    refused with the spelling that has one, `Timeout(seconds, fallback=...)(node)`."""

    def __init__(
        self,
        primitive: Node[A, B],
        timeout_seconds: float | None = None,
        fallback: Node[A, B] | None = None,
        track_timeouts: bool = True,
        *,
        seconds: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        name: str | None = None,
    ) -> None:
        from ...errors import ConfigError

        if (seconds is None) == (timeout_seconds is None):
            raise ConfigError("TimeoutPrimitive", "seconds", "a number of seconds, given once (seconds= or timeout_seconds=)", (seconds, timeout_seconds))
        if fallback is not None:
            raise ConfigError(
                "TimeoutPrimitive", "fallback", "no fallback here: write Timeout(seconds, fallback=other)(node), or node.timeout(seconds, fallback=other)", fallback
            )
        limit = seconds if seconds is not None else timeout_seconds
        assert limit is not None
        super().__init__(primitive, Timeout(limit, clock=clock), name=name)
