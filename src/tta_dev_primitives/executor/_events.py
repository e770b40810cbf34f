"""Run events: what `plan.events(x)` yields, made from the hook calls of one run.

Every event carries `at` (seconds since the run started) and, for node events, the node's id
and name as EXPLAIN shows them (`#id name`), so a UI can match events to the plan's graph.
`EventsHook` is one shared hook: it sends each event to the channel of the run it belongs to
(found through a context variable), so plans are not rebuilt per `events()` call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Literal

import attrs

from ..context import RunContext
from ._channel import Channel
from ._hooks import Hook, NodeInfo, RunInfo

__all__ = [
    "CacheEvent",
    "ChunkEvent",
    "CircuitEvent",
    "CompensationEvent",
    "Event",
    "EventsHook",
    "FallbackEvent",
    "LoopIterationEvent",
    "NodeFinished",
    "NodeStarted",
    "RetryEvent",
    "RunFinished",
    "RunStarted",
    "TimeoutEvent",
    "ToolCallEvent",
]

Status = Literal["ok", "error", "cancelled"]


def _status(error: BaseException | None) -> Status:
    if error is None:
        return "ok"
    return "error" if isinstance(error, Exception) else "cancelled"


@attrs.frozen(slots=True)
class RunStarted:
    """The run began."""

    at: float
    plan: str
    fingerprint: str
    correlation_id: str
    kind: Literal["run_started"] = "run_started"


@attrs.frozen(slots=True)
class RunFinished:
    """The run ended: `status` "ok", "error" (with `error`) or "cancelled"."""

    at: float
    plan: str
    status: Status
    duration: float
    error: BaseException | None = None
    kind: Literal["run_finished"] = "run_finished"


@attrs.frozen(slots=True)
class NodeStarted:
    """A node began (`primitive_type` as in telemetry: function, retry, stream, ...)."""

    at: float
    node_id: int
    node: str
    primitive_type: str
    kind: Literal["node_started"] = "node_started"


@attrs.frozen(slots=True)
class NodeFinished:
    """A node ended after `duration` seconds (a stream: at its last chunk)."""

    at: float
    node_id: int
    node: str
    primitive_type: str
    status: Status
    duration: float
    error: BaseException | None = None
    kind: Literal["node_finished"] = "node_finished"


@attrs.frozen(slots=True)
class ChunkEvent:
    """A streaming node produced chunk number `index`."""

    at: float
    node_id: int
    node: str
    index: int
    chunk: object
    kind: Literal["chunk"] = "chunk"


@attrs.frozen(slots=True)
class LoopIterationEvent:
    """A loop (an agent's turn loop) starts iteration `iteration` (0-based)."""

    at: float
    node_id: int
    node: str
    iteration: int
    kind: Literal["loop_iteration"] = "loop_iteration"


@attrs.frozen(slots=True)
class ToolCallEvent:
    """An agent calls the tool `tool` (the model's call id `call_id`)."""

    at: float
    node_id: int
    node: str
    tool: str
    call_id: str
    kind: Literal["tool_call"] = "tool_call"


@attrs.frozen(slots=True)
class RetryEvent:
    """Attempt `attempt` failed with `error`; the next starts after `delay` seconds."""

    at: float
    node_id: int
    node: str
    attempt: int
    delay: float
    error: BaseException
    kind: Literal["retry"] = "retry"


@attrs.frozen(slots=True)
class FallbackEvent:
    """The route `failed` raised `error`; the next route runs."""

    at: float
    node_id: int
    node: str
    failed: str
    error: BaseException
    kind: Literal["fallback"] = "fallback"


@attrs.frozen(slots=True)
class TimeoutEvent:
    """The node exceeded its `seconds` limit."""

    at: float
    node_id: int
    node: str
    seconds: float
    kind: Literal["timeout"] = "timeout"


@attrs.frozen(slots=True)
class CircuitEvent:
    """A circuit breaker moved from `old` to `new` ("closed", "open", "half_open")."""

    at: float
    node_id: int
    node: str
    old: str
    new: str
    kind: Literal["circuit"] = "circuit"


@attrs.frozen(slots=True)
class CacheEvent:
    """A cache lookup: `hit` or not, for the key label `key` (a digest, never the input)."""

    at: float
    node_id: int
    node: str
    hit: bool
    key: str
    kind: Literal["cache"] = "cache"


@attrs.frozen(slots=True)
class CompensationEvent:
    """A saga compensation for `step` ran (`error` if it failed)."""

    at: float
    node_id: int
    node: str
    step: str
    error: BaseException | None
    kind: Literal["compensation"] = "compensation"


Event = (
    RunStarted
    | RunFinished
    | NodeStarted
    | NodeFinished
    | ChunkEvent
    | LoopIterationEvent
    | ToolCallEvent
    | RetryEvent
    | FallbackEvent
    | TimeoutEvent
    | CircuitEvent
    | CacheEvent
    | CompensationEvent
)
"""Every event `plan.events()` yields; `event.kind` tells them apart (or `match` on the class)."""


class EventChannel:
    """One run's events on their way to the consumer: a bounded Channel. Hooks cannot await,
    so they `put` each event in, in order, past the bound if need be, and the run's next node
    event awaits the consumer while the buffer is over its bound (see Hook.wait_for_consumer):
    the buffer holds at most `buffer` events plus those of one node event per task running
    meanwhile."""

    __slots__ = ("buffered", "capacity", "put", "send", "started")

    def __init__(self, send: Channel[Event]) -> None:
        self.send = send
        self.put = send.offer
        """Put an event in the buffer (dropped once the consumer is gone: the run is being
        cancelled). The channel's own method: one call per event."""
        self.buffered, self.capacity = send.buffered, send.capacity
        """The events waiting and the bound: `len(buffered) >= capacity` is the check the run
        makes at every node event (see `behind`), inlined there."""
        self.started = time.perf_counter()

    @property
    def behind(self) -> bool:
        """Whether the consumer is behind (the run should wait for it). Once the reader is gone
        the buffer is empty; once the run has closed the channel, `drain` returns at once."""
        return len(self.buffered) >= self.capacity

    async def drain(self) -> None:
        """Wait until the consumer has caught up."""
        await self.send.wait_for_room()

    def now(self) -> float:
        return _now() - self.started


_now = time.perf_counter
_channel: ContextVar[EventChannel | None] = ContextVar("tta_events_channel", default=None)


def _node_event(kind: Callable[..., Event], node: NodeInfo, *fields: object) -> None:
    """Put `kind(at, node id, node name, *fields)` on the current run's channel, if any."""
    channel = _channel.get()
    if channel is not None:
        channel.put(kind(channel.now(), node.node_id, node.name, *fields))


class EventsHook(Hook):
    """Turns hook calls into events on the current `plan.events()` run's channel (a no-op in
    runs without one). The node start and end events, two per node, are built inline: no helper
    calls beyond the event itself and the channel's `offer`."""

    def on_run_start(self, run: RunInfo) -> None:
        channel = _channel.get()
        if channel is not None:
            channel.put(RunStarted(channel.now(), run.plan_name, run.fingerprint, run.context.correlation_id))

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        channel = _channel.get()
        if channel is not None:
            duration = time.perf_counter() - run.started_at
            channel.put(RunFinished(channel.now(), run.plan_name, _status(error), duration, error))

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        channel = _channel.get()
        if channel is None:
            return None
        at = _now() - channel.started
        if node.kind == "loop_iteration":
            iteration = node.attributes.get("loop.iteration")
            channel.put(LoopIterationEvent(at, node.node_id, node.name, iteration if isinstance(iteration, int) else -1))
        channel.put(NodeStarted(at, node.node_id, node.name, node.primitive_type))
        return at

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        channel = _channel.get()
        if channel is not None and type(state) is float:
            at = _now() - channel.started
            channel.put(NodeFinished(at, node.node_id, node.name, node.primitive_type, "ok", at - state))

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        channel = _channel.get()
        if channel is not None and type(state) is float:
            at = _now() - channel.started
            channel.put(NodeFinished(at, node.node_id, node.name, node.primitive_type, _status(error), at - state, error))

    def on_chunk(self, node: NodeInfo, ctx: RunContext, state: object, index: int, chunk: object) -> None:
        channel = _channel.get()
        if channel is not None:
            channel.put(ChunkEvent(_now() - channel.started, node.node_id, node.name, index, chunk))

    def on_tool_call(self, node: NodeInfo, ctx: RunContext, tool: str, call_id: str) -> None:
        _node_event(ToolCallEvent, node, tool, call_id)

    def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
        _node_event(RetryEvent, node, attempt, delay, error)

    def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
        _node_event(FallbackEvent, node, failed, error)

    def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
        _node_event(TimeoutEvent, node, seconds)

    def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
        _node_event(CircuitEvent, node, old, new)

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        _node_event(CacheEvent, node, True, key)

    def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        _node_event(CacheEvent, node, False, key)

    def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
        _node_event(CompensationEvent, node, step, error)

    def wait_for_consumer(self) -> Awaitable[None] | None:
        channel = _channel.get()
        if channel is not None and len(channel.buffered) >= channel.capacity:  # `behind`, inlined
            return channel.drain()
        return None


EVENTS_HOOK = EventsHook()
"""The one EventsHook every plan's `events()` executable carries."""
