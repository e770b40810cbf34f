"""Guards: the one mechanism behind every single-child resilience wrapper.

Retry, timeout, circuit breaker, bulkhead, rate limiter and hedging are each a `GuardPolicy`: a
small policy object that wraps the child's async callable once, when the plan's closures are
built. `GuardNode` is the DSL node (child + policy), `GuardOp` the plan op; both are generic, so
a new wrapper is just a new GuardPolicy subclass.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import ClassVar, ParamSpec, TypeVar, overload

import attrs

from ..compiler._ir import Op
from ..compiler._lowering import Lowerer, lowering, op_identity
from ..compiler._policy import Policy
from ..context import RunContext, _current
from ..dsl._core import AnyNode, Node
from ..dsl._streaming import StreamNode, StreamView
from ..executor._emit import Emitter, OpenFn, Step, emitter, node_info
from ..executor._hooks import REGISTRY, HookSet, NodeInfo
from ..executor._streaming import first_chunk_guard, stream_step

__all__ = ["GuardNode", "GuardOp", "GuardPolicy", "GuardSite"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
P = ParamSpec("P")
R = TypeVar("R")


@attrs.frozen
class GuardSite:
    """Where a guard is installed: the op's identity, the op it guards (None in the decorator
    form) and the plan's hooks (for events)."""

    info: NodeInfo
    hooks: HookSet | None
    installed: bool = False
    """Outside plans (decorator form): send events to the process-wide hooks at event time."""
    inner: Op | None = None
    durable: bool = False
    """The guard is built into a durable run's closures (see executor._journaling)."""

    def numbered(self, call: Callable[[object], Awaitable[object]]) -> Callable[[int, object], Awaitable[object]] | None:
        """In a durable run, `call` as `(n, x)`: attempt `n` journals under a key path of its
        own, so a resumed run never replays a failed attempt's children as a later one's.
        None otherwise (call `call` itself: nothing added to the hot path)."""
        if not self.durable:
            return None
        from ..executor._journaling import numbered

        return numbered(str(self.info.node_id), call)

    def emit(self, event: str, *args: object) -> None:
        """Send a hook event (`on_retry`, `on_timeout`, ...) for this op; free without hooks."""
        hooks = self.hooks
        if hooks is None and self.installed and REGISTRY.hooks:
            hooks = REGISTRY.hook_set()
        if hooks is not None:
            hooks.emit(event, self.info, _current.get(None) or RunContext(), *args)


class GuardNode(Node[In, Out]):
    """`inner` run under `guard`; the node's type is the inner node's."""

    def __init__(self, inner: Node[In, Out], policy: GuardPolicy, *, name: str | None = None) -> None:
        self.inner: AnyNode = inner
        self.policy = policy
        self.primitive_type = policy.kind
        self._set_name(name)

    def _default_name(self) -> str:
        return f"{self.policy.kind}({self.inner.name})"


@attrs.frozen(kw_only=True, eq=False)
class GuardOp(Op):
    """One child run under a guard."""

    kind: ClassVar[str] = "guard"

    guard: GuardPolicy

    def params(self) -> dict[str, object]:
        return {"guard": self.guard.kind, **self.guard.describe()}

    def policy(self) -> GuardPolicy:
        return self.guard

    def stream_children(self) -> tuple[Op, ...] | None:
        return self.children


@lowering(GuardNode)
def _lower_guard(node: GuardNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    inner = lw.lower(node.inner)
    node.policy.bind(inner)
    return GuardOp(
        **ident,
        in_type=inner.in_type,
        out_type=inner.out_type,
        children=(inner,),
        guard=node.policy,
    )


@emitter(GuardOp)
def _emit_guard(op: GuardOp, em: Emitter) -> Step:
    inner = em.emit(op.children[0])
    site = GuardSite(node_info(op), em.hooks, inner=op.children[0], durable=em.durable)
    value = Step(op.guard.wrap(inner.as_async(), site), True)
    if inner.open is None:
        return value
    return stream_step(op, em, op.guard.wrap_stream(inner.open, site), value)


def guard_function(guard: GuardPolicy, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
    """Apply `guard` to a plain async function (the decorator form), outside any plan.

    The function's arguments are packed into one value so the guard sees a one-argument call.
    """
    import functools

    from ..dsl._location import capture_location

    name = getattr(fn, "__name__", "function")
    info = NodeInfo(node_id=0, name=name, primitive_type=guard.kind, kind="guard", location=capture_location())

    async def call(packed: object) -> object:
        args, kwargs = typing.cast("tuple[tuple[object, ...], dict[str, object]]", packed)
        return await fn(*args, **kwargs)

    guarded = guard.wrap(call, GuardSite(info, None, installed=True))

    @functools.wraps(fn)
    async def wrapper(*args: object, **kwargs: object) -> object:
        return await guarded((args, kwargs))

    return wrapper


class GuardPolicy(Policy):
    """Base of the guard classes: calling one on a node wraps the node; calling it on an async
    function decorates the function (same signature), which then runs under the guard.

    The compiler asks the policy for its worst-case bounds and lint facts (see
    `compiler._policy.Policy`); a new guard overrides what it changes, and is neutral otherwise
    (runs its child once, adds no latency)."""

    kind: str
    """The guard's name in EXPLAIN, node names and telemetry (e.g. "retry")."""

    def bind(self, inner: Op) -> None:
        """Called when a plan containing this guard around `inner` is compiled: raise
        ConfigError if the guard cannot serve that op (a cache that cannot key it)."""

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        """`call` (the guarded child, as an async function of its input) under this guard; built
        once per plan, so the returned function is the hot path."""
        raise NotImplementedError

    def wrap_stream(self, open_: OpenFn, site: GuardSite) -> OpenFn:
        """The guard around a streaming node: by default it acts on opening the stream and
        reading its first chunk (a retry repeats only that; a breaker counts it), never after
        chunks have gone out. Override for guards that must cover the whole stream."""
        return first_chunk_guard(lambda first: self.wrap(first, site), open_)

    @overload
    def __call__(self, target: StreamNode[A, C, B]) -> StreamNode[A, C, B]: ...
    @overload
    def __call__(self, target: Node[A, B]) -> Node[A, B]: ...
    @overload
    def __call__(self, target: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]: ...
    def __call__(self, target: object) -> object:
        if isinstance(target, StreamNode):  # still a stream: compile() gives a StreamPlan
            return StreamView(self.wrap_node(target))
        if isinstance(target, Node):
            return self.wrap_node(target)
        if not callable(target):
            from ..errors import BuildError

            raise BuildError(f"{type(self).__name__}: expected a Node or an async function to wrap, got {type(target).__name__}")
        return self.wrap_function(target)

    def wrap_node(self, target: AnyNode) -> AnyNode:
        """The node form; subclasses may add structure around the guarded node."""
        return GuardNode(target, self)

    def wrap_function(self, fn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        """The decorator form."""
        return guard_function(self, fn)
