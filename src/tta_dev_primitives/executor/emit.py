"""Emitting: turn IR ops into closures, once per plan, one rule per op class.

A `Step` is a callable plus whether it returns an awaitable. Sequences call sync steps inline,
so a chain of sync functions costs no coroutine per step. When the plan has hooks, every op's
step is wrapped once with the hook calls; without hooks nothing is wrapped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._deep import depth_independent
from .._registry import ClassRegistry
from ..compiler.ir import Op
from ..context import _current
from .hooks import HookSet, NodeInfo

if TYPE_CHECKING:
    from .journaling import ValueCodec

__all__ = ["AsyncFn", "Emitter", "OpenFn", "Step", "emitter", "instrument"]

AsyncFn = Callable[[object], Awaitable[object]]
O = TypeVar("O", bound=Op)
EmitRule = Callable[[O, "Emitter"], "Step"]

_RULES: ClassRegistry[Callable[[Op, Emitter], Step]] = ClassRegistry("emitter")


OpenFn = Callable[[object], AsyncIterator[object]]


@attrs.frozen(slots=True)
class Step:
    """A runnable op: `call(x)` returns the result, or an awaitable of it when `is_async`.

    A streaming op also has `open(x)`, an async iterator of its chunks, and, when its `call`
    is built from `open` (it collects the chunks and joins them), `collect`, the function that
    builds that `call` from an `open`: instrumenting the step then wraps `open` once and
    rebuilds `call` from the wrapped one.
    """

    call: Callable[[object], object]
    is_async: bool
    open: OpenFn | None = None
    collect: Callable[[OpenFn], AsyncFn] | None = None

    def as_async(self) -> AsyncFn:
        """This step as an async callable (sync steps get a thin coroutine wrapper)."""
        if self.is_async:
            return self.call  # type: ignore[return-value]
        call = self.call

        async def run_sync(x: object) -> object:
            return call(x)

        return run_sync


def emitter(op_class: type[O]) -> Callable[[EmitRule[O]], EmitRule[O]]:
    """Register how ops of `op_class` (and subclasses) become Steps."""

    def register(rule: EmitRule[O]) -> EmitRule[O]:
        _RULES.register(op_class, rule)  # type: ignore[arg-type]
        return rule

    return register


def node_info(op: Op) -> NodeInfo:
    return NodeInfo(
        node_id=op.node_id,
        name=op.name,
        primitive_type=op.primitive_type,
        kind=op.kind,
        location=op.location,
        attributes={"primitive.type": op.primitive_type, "primitive.name": op.name, **dict(op.traits.attributes)},
    )


class Emitter:
    """Builds the closures of one plan for one set of hooks."""

    def __init__(
        self,
        hooks: HookSet | None,
        *,
        check_outputs: bool = False,
        outlets: frozenset[int] = frozenset(),
        journal_codec: Callable[[Op, object], ValueCodec] | None = None,
    ) -> None:
        self.hooks = hooks if hooks else None
        self.journal_codec = journal_codec
        """For a durable run's closures: the codec of values of a type an op journals (raises
        when the type cannot be journaled, naming the op, before anything runs). None for
        every other run."""
        self.durable = journal_codec is not None
        self.check_outputs = check_outputs
        """Whether leaf calls check their results against their declared types."""
        self.outlets = outlets
        """Ids of the ops whose chunks are the plan's streaming output (see compiler.streams)."""
        self.owner = object()
        """Identifies this plan's closures to `plan.stream()`'s sink, so a plan run nested in a
        streamed run does not send its chunks to the outer consumer."""

    @depth_independent
    def emit(self, op: Op) -> Step:
        """The step that runs `op`, built by the emitter registered for its kind, journaled in a
        durable run and with the plan's node hooks around it (TypeError for an op kind with no
        emitter)."""
        rule = _RULES.lookup(type(op))
        if rule is None:
            raise TypeError(f"no emitter registered for {type(op).__qualname__} ({op.name!r})")
        step = rule(op, self)
        if self.journal_codec is not None and op.journaled and not op.traits.pure:
            from .journaling import journaled

            step = journaled(op, step, self.journal_codec)
        if self.hooks is not None and self.hooks.node_hooks:
            step = instrument(node_info(op), step, self.hooks)
        return step

    def emit_async(self, op: Op) -> AsyncFn:
        """`emit(op)` as an async function of the input (what a structural op awaits)."""
        return self.emit(op).as_async()


def instrument(info: NodeInfo, step: Step, hooks: HookSet) -> Step:
    """`step` reporting start, end and errors to `hooks` as the node `info`.

    A streaming step's `open` is wrapped too: the node ends at its last chunk, and its chunks
    are reported (`on_chunk`) when it produces them itself (a stream op, not a wrapper)."""
    if step.open is None:
        return Step(_instrumented_call(info, step, hooks), True)
    from .streaming import instrument_open

    opened = instrument_open(info, step.open, hooks)
    if step.collect is not None:  # its call collects its chunks: rebuilt on the wrapped stream
        return Step(step.collect(opened), True, opened, step.collect)
    return Step(_instrumented_call(info, step, hooks), True, opened)


def _instrumented_call(info: NodeInfo, step: Step, hooks: HookSet) -> AsyncFn:
    inner = step.as_async()
    get_ctx = _current.get

    async def instrumented(x: object) -> object:
        ctx = get_ctx()
        states = hooks.node_start(info, ctx)
        if inputs:
            hooks.node_input(info, ctx, states, x)
        try:
            if waits and (backlog := hooks.backlog()) is not None:
                await backlog
            result = await inner(x)
        except BaseException as exc:
            hooks.node_error(info, ctx, states, exc)
            raise
        hooks.node_end(info, ctx, states, result)
        if waits and (backlog := hooks.backlog()) is not None:
            await backlog
        return result

    waits = hooks.has_waiters
    inputs = hooks.reports_inputs
    return instrumented
