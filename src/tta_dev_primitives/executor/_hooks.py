"""Hooks: how observability (and anything else) watches a run without touching the hot path.

Subclass `Hook` and override the events you need. A plan compiled without hooks calls nothing
per node; with hooks, every op is wrapped once at plan compile time. A hook that raises never
breaks a run: the error is logged once per hook and event, and the run goes on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Awaitable, Iterable, Mapping

import attrs

from ..context import RunContext
from .._log_masking import library_logger
from ..dsl._location import SourceLocation

__all__ = [
    "Hook",
    "HookSet",
    "NodeInfo",
    "RunInfo",
    "install_hook",
    "installed_hooks",
    "uninstall_hook",
]

_log = library_logger("tta_dev_primitives.hooks")


@attrs.frozen(slots=True)
class NodeInfo:
    """Identity of the op a node event is about (precomputed once per plan).

    `attributes` holds the telemetry attributes every span of this node carries:
    `primitive.type`, `primitive.name` and the node's own (`Node.with_attributes`); the source
    location is `location`. `detail` is true for an op that traces show only when asked for
    every op: structure (sequences, parallels, loops), guards (retry, cache, timeout, cost
    tracking) and a primitive's bookkeeping steps, as opposed to the ops that run code.
    """

    node_id: int
    name: str
    primitive_type: str
    kind: str
    location: SourceLocation
    attributes: Mapping[str, object] = attrs.field(factory=dict)
    detail: bool = False


@attrs.frozen(slots=True)
class RunInfo:
    """Identity of a run: the plan's name and fingerprint, the run's context, and when it started
    (`time.perf_counter()`). Hooks keep per-run data here rather than in contextvars, which a
    nested run in the same task would overwrite."""

    plan_name: str
    fingerprint: str
    context: RunContext
    started_at: float = attrs.field(factory=time.perf_counter)


class Hook:
    """Base class of executor hooks; every event is a no-op until overridden.

    `on_node_start` may return a state object (a span, a start time); the executor passes it back
    to `on_node_end` / `on_node_error` of the same node in the same task.
    """

    def on_run_start(self, run: RunInfo) -> None:
        """A plan run begins."""

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        """A plan run ended, with `error` set if it raised."""

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        """A node begins; the return value is handed back at its end."""
        return None

    def on_node_input(self, node: NodeInfo, ctx: RunContext, state: object, value: object) -> None:
        """A node received `value` as its input; called right after `on_node_start` with the state
        it returned. Only hooks that override it, and only for the nodes `wants_input` accepts,
        are handed inputs: nodes no hook asks about pay nothing for it."""

    def wants_input(self, node: NodeInfo) -> bool:
        """Whether `on_node_input` is to be handed `node`'s input: asked once per node when the
        plan's closures are built (never during a run). By default every node's, unless the hook
        has a false `wants_inputs` attribute."""
        return bool(getattr(self, "wants_inputs", True))

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        """A node returned `result`."""

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        """A node raised `error` (including cancellation)."""

    # Resilience and cache events, emitted by the stdlib primitives that own them.
    def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
        """Attempt `attempt` failed with `error`; the next starts after `delay` seconds."""

    def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
        """The route `failed` raised `error`, so the next fallback runs."""

    def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
        """The node exceeded its `seconds` budget."""

    def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
        """A circuit breaker moved from state `old` to `new`."""

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        """A cached node answered from its cache."""

    def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        """A cached node had to compute its result."""

    def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
        """A saga compensation for `step` ran (with `error` if it failed)."""

    # Streaming, agents and consumers.
    def on_chunk(self, node: NodeInfo, ctx: RunContext, state: object, index: int, chunk: object) -> None:
        """A streaming node produced chunk number `index` (0-based); `state` is what this hook's
        `on_node_start` returned for the node, or None when a cache replays a stored stream (the
        chunks are then the cache node's)."""

    def on_tool_call(self, node: NodeInfo, ctx: RunContext, tool: str, call_id: str) -> None:
        """An agent's tool dispatch starts the call `call_id` of the tool `tool`."""

    def on_replay(self, node: NodeInfo, ctx: RunContext) -> None:
        """A resumed durable run answered the node from its journal instead of running it
        (between the node's start and end)."""

    def wait_for_consumer(self) -> Awaitable[None] | None:
        """Asked by the executor after each node event when overridden: a hook that hands
        events to a slower consumer (`plan.events()`) returns an awaitable while the consumer is
        behind, and the run awaits it, so the hook's buffer stays bounded; None goes on at once."""
        return None


_NODE_EVENTS = ("on_node_start", "on_node_input", "on_node_end", "on_node_error", "on_chunk", "wait_for_consumer")


InputHooks = tuple[tuple[int, Hook], ...]
"""The hooks handed a node's input, each with its index among the plan's node hooks."""


def _overrides(hook: Hook, event: str) -> bool:
    return getattr(type(hook), event, None) is not getattr(Hook, event)


class HookSet:
    """The hooks of one compiled plan, with error isolation.

    Per-node calls go only to hooks that override node events; other events go to hooks that
    override them. `emit` serves the resilience and cache events.
    """

    def __init__(self, hooks: Iterable[Hook]) -> None:
        self.hooks = tuple({id(h): h for h in hooks}.values())  # a hook installed and also given to a plan runs once
        self.node_hooks = tuple(h for h in self.hooks if any(_overrides(h, e) for e in _NODE_EVENTS))
        self.run_hooks = tuple(h for h in self.hooks if _overrides(h, "on_run_start") or _overrides(h, "on_run_end"))
        self._starts = tuple((h, h.on_node_start) for h in self.node_hooks)
        self._ends = tuple((h, h.on_node_end) for h in reversed(self.node_hooks))  # ends nest inside starts
        self._chunks = tuple((i, h) for i, h in enumerate(self.node_hooks) if _overrides(h, "on_chunk"))
        self.reports_chunks = bool(self._chunks)
        """Whether some hook wants streaming nodes' chunks (`on_chunk`)."""
        self._inputs = tuple((i, h) for i, h in enumerate(self.node_hooks) if _overrides(h, "on_node_input"))
        self._waiting = tuple(h for h in self.node_hooks if _overrides(h, "wait_for_consumer"))
        self._waits = tuple(h.wait_for_consumer for h in self._waiting)
        self.has_waiters = bool(self._waiting)
        """Whether some hook may make the run wait for its consumer (see Hook.wait_for_consumer)."""
        self._reported: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def report(self, hook: Hook, event: str, error: BaseException) -> None:
        """Log a hook failure the first time this hook fails on this event."""
        key = (id(hook), event)
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        _log.warning(
            "hook %s.%s raised %r; the run continues and further errors of this hook event are not logged",
            type(hook).__qualname__,
            event,
            error,
            exc_info=error,
        )

    def _call(self, hook: Hook, event: str, *args: object) -> object:
        """Call one hook event; a failure is reported (once) and turns into a None result."""
        try:
            return getattr(hook, event)(*args)
        except Exception as exc:
            self.report(hook, event, exc)
            return None

    def node_start(self, node: NodeInfo, ctx: RunContext) -> list[object]:
        """Each node hook's start; returns their states, handed back at the node's end or error."""
        states: list[object] = []
        for hook, start in self._starts:  # bound once: this runs for every node of every run
            try:
                states.append(start(node, ctx))
            except Exception as exc:
                self.report(hook, "on_node_start", exc)
                states.append(None)
        return states

    def input_hooks(self, node: NodeInfo) -> InputHooks:
        """The hooks that want `node`'s input (`Hook.wants_input`), with their places among the
        node hooks: decided once, when the node's closure is built; empty for most nodes."""
        wanted: list[tuple[int, Hook]] = []
        for i, hook in self._inputs:
            try:
                if hook.wants_input(node):
                    wanted.append((i, hook))
            except Exception as exc:
                self.report(hook, "wants_input", exc)
        return tuple(wanted)

    def node_input(self, node: NodeInfo, ctx: RunContext, states: list[object], value: object, hooks: InputHooks) -> None:
        """Give the node's input to `hooks`, those that want it (`input_hooks(node)`)."""
        for i, hook in hooks:
            try:
                hook.on_node_input(node, ctx, states[i], value)
            except Exception as exc:
                self.report(hook, "on_node_input", exc)

    def node_end(self, node: NodeInfo, ctx: RunContext, states: list[object], result: object) -> None:
        """Each hook's end, in the reverse order of their starts (a hook that made its span
        current is the last to start and the first to end, so context changes unwind in order)."""
        for (hook, end), state in zip(self._ends, reversed(states)):
            try:
                end(node, ctx, state, result)
            except Exception as exc:
                self.report(hook, "on_node_end", exc)

    def node_error(self, node: NodeInfo, ctx: RunContext, states: list[object], error: BaseException) -> None:
        """Each hook's error event, in the reverse order of their starts, with its state."""
        for hook, state in zip(reversed(self.node_hooks), reversed(states)):
            self._call(hook, "on_node_error", node, ctx, state, error)

    def chunk(self, node: NodeInfo, ctx: RunContext, states: list[object], index: int, chunk: object) -> None:
        """A streamed chunk of the node, to the hooks that watch chunks."""
        for i, hook in self._chunks:
            try:
                hook.on_chunk(node, ctx, states[i], index, chunk)
            except Exception as exc:
                self.report(hook, "on_chunk", exc)

    def backlog(self) -> Awaitable[None] | None:
        """An awaitable while some hook's consumer is behind (see Hook.wait_for_consumer), else
        None: the common case costs no coroutine."""
        for wait in self._waits:  # bound once: this runs at every node event
            try:
                pending = wait()
            except Exception as exc:
                self.report(wait.__self__, "wait_for_consumer", exc)  # type: ignore[attr-defined]
                continue
            if pending is not None:
                return self._drain(self._waits.index(wait), pending)
        return None

    def _ask(self, hook: Hook) -> Awaitable[None] | None:
        try:
            return hook.wait_for_consumer()
        except Exception as exc:
            self.report(hook, "wait_for_consumer", exc)
            return None

    async def _drain(self, index: int, pending: Awaitable[None]) -> None:
        """Await `pending` (what the waiting hook at `index` asked for), then what the hooks
        after it ask for."""
        hooks = self._waiting
        while True:
            try:
                await pending
            except Exception as exc:
                self.report(hooks[index], "wait_for_consumer", exc)
            for index in range(index + 1, len(hooks)):
                asked = self._ask(hooks[index])
                if asked is not None:
                    pending = asked
                    break
            else:
                return

    def run_start(self, run: RunInfo) -> None:
        """Each run hook's start of a run."""
        for hook in self.run_hooks:
            self._call(hook, "on_run_start", run)

    def run_end(self, run: RunInfo, error: BaseException | None) -> None:
        """Each run hook's end of a run (`error` is None for a success)."""
        for hook in self.run_hooks:
            self._call(hook, "on_run_end", run, error)

    def emit(self, event: str, *args: object) -> None:
        """Send a resilience or cache event (`"on_retry"`, `"on_cache_hit"`, ...) to every hook."""
        for hook in self.hooks:
            if _overrides(hook, event):
                self._call(hook, event, *args)


class _Registry:
    """Process-wide hooks (installed by observability setup); plans pick them up on next run."""

    def __init__(self) -> None:
        self.hooks: tuple[Hook, ...] = ()
        self.version = 0
        self.check_outputs = os.environ.get("TTA_CHECK_OUTPUTS", "").strip().lower() in ("1", "true", "yes", "on")
        """Whether leaf outputs are checked against their declared types (see executor._outputs)."""
        self._lock = threading.Lock()
        self._set: tuple[int, HookSet] | None = None

    def hook_set(self) -> HookSet:
        """The installed hooks as one HookSet, rebuilt only when they change (so a failing hook
        of a decorator-form guard is reported once, not on every event)."""
        cached = self._set
        if cached is None or cached[0] != self.version:
            cached = self._set = (self.version, HookSet(self.hooks))
        return cached[1]

    def set_check_outputs(self, enabled: bool) -> bool:
        with self._lock:
            previous, self.check_outputs = self.check_outputs, enabled
            if previous != enabled:
                self.version += 1
        return previous

    def install(self, hook: Hook) -> None:
        with self._lock:
            if hook not in self.hooks:
                self.hooks = (*self.hooks, hook)
                self.version += 1

    def uninstall(self, hook: Hook) -> None:
        with self._lock:
            if hook in self.hooks:
                self.hooks = tuple(h for h in self.hooks if h is not hook)
                self.version += 1


REGISTRY = _Registry()


def install_hook(hook: Hook) -> None:
    """Install `hook` for every plan in this process (takes effect on each plan's next run)."""
    candidate: object = hook  # checked at runtime for callers without a type checker
    if not isinstance(candidate, Hook):
        from ..errors import BuildError

        raise BuildError(f"install_hook(): expected a Hook subclass instance, got {type(hook).__name__}")
    REGISTRY.install(hook)


def uninstall_hook(hook: Hook) -> None:
    """Remove a hook installed with `install_hook` (no error if it is not installed)."""
    REGISTRY.uninstall(hook)


def installed_hooks() -> tuple[Hook, ...]:
    """The process-wide hooks, in installation order."""
    return REGISTRY.hooks
