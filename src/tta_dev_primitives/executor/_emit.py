"""Emitting: turn IR ops into closures, once per plan, one rule per op class.

A `Step` is a callable plus whether it returns an awaitable. Sequences call sync steps inline,
so a chain of sync functions costs no coroutine per step. When the plan has hooks, every op's
step is wrapped once with the hook calls; without hooks nothing is wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._deep import depth_independent
from .._registry import ClassRegistry
from ..compiler._ir import Op
from ._hooks import HookSet, NodeInfo
from ._instrument import instrument
from ._journaling import ValueCodec, journaled
from ._step import AsyncFn, OpenFn, Step

__all__ = ["AsyncFn", "Emitter", "OpenFn", "Step", "emitter", "instrument"]

O = TypeVar("O", bound=Op)
EmitRule = Callable[[O, "Emitter"], "Step"]

_RULES: ClassRegistry[Callable[[Op, Emitter], Step]] = ClassRegistry("emitter")


def emitter(op_class: type[O]) -> Callable[[EmitRule[O]], EmitRule[O]]:
    """Register how ops of `op_class` (and subclasses) become Steps."""

    def register(rule: EmitRule[O]) -> EmitRule[O]:
        _RULES.register(op_class, rule)  # type: ignore[arg-type]
        return rule

    return register


def node_info(op: Op) -> NodeInfo:
    """What hooks are told about the node `op` came from: its id, name, kind, location and attributes."""
    return NodeInfo(
        node_id=op.node_id,
        name=op.name,
        primitive_type=op.primitive_type,
        kind=op.kind,
        location=op.location,
        attributes={"primitive.type": op.primitive_type, "primitive.name": op.name, **dict(op.traits.attributes)},
        detail=not type(op).traced or op.traits.internal,
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
        """Ids of the ops whose chunks are the plan's streaming output (see compiler._streams)."""
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
        told = (self.hooks, node_info(op)) if self.hooks is not None and self.hooks.node_hooks else None
        if self.journal_codec is not None and op.journaled and not op.traits.pure:
            step = journaled(op, step, self.journal_codec, told)
        if told is not None:
            step = instrument(told[1], step, told[0])
        return step

    def emit_async(self, op: Op) -> AsyncFn:
        """`emit(op)` as an async function of the input (what a structural op awaits)."""
        return self.emit(op).as_async()
