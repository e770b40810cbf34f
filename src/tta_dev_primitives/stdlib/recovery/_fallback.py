"""Fallback: try the primary, then each fallback in order; all failing raises FallbackError.

    Fallback(primary=expensive_model, fallback=cheap_model)
    Fallback(primary=a, fallbacks=[b, c])
    a.fallback(b).fallback(c)            # one flat chain: a, then b, then c
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import ClassVar, TypeVar

import attrs

from ...compiler._ir import Edge, Op
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...dsl._core import AnyNode, Node
from ...dsl._function import as_node
from ...errors import StreamInterruptedError
from ...executor._emit import AsyncFn, Emitter, Step, emitter, node_info
from ...executor._streaming import chunks_sent, first_of, resume, stream_step
from ...executor._journaling import resume_point
from ...executor._notes import where
from .._compiled import CompiledPrimitive
from .._guard import GuardSite
from .errors import FallbackError

__all__ = ["Fallback", "FallbackNode", "FallbackOp", "FallbackPrimitive"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")


class FallbackNode(Node[In, Out]):
    """Run routes in order until one succeeds; errors not in `only_on` propagate at once."""

    primitive_type = "fallback"

    def __init__(
        self,
        primary: AnyNode,
        fallbacks: Sequence[AnyNode],
        *,
        only_on: tuple[type[Exception], ...] = (Exception,),
        name: str | None = None,
    ) -> None:
        label = name or "Fallback"
        self.routes: tuple[AnyNode, ...] = (
            as_node(primary, where=f"{label} primary"),
            *(as_node(f, where=f"{label} fallback {i}") for i, f in enumerate(fallbacks)),
        )
        if len(self.routes) < 2:
            from ...errors import ConfigError

            raise ConfigError(label, "fallback", "at least one fallback node", list(fallbacks))
        self.only_on = only_on
        self._set_name(name)

    def _default_name(self) -> str:
        return " ?? ".join(r.name for r in self.routes)


class FallbackPrimitive(FallbackNode[In, Out], CompiledPrimitive[In, Out]):
    """The original package's form: `Fallback(primary=..., fallback=...)` with `await .execute(input)`."""

    def __init__(
        self: FallbackPrimitive[A, B],
        primary: Node[A, B],
        fallback: Node[A, B] | None = None,
        *,
        fallbacks: Sequence[Node[A, B]] = (),
        only_on: tuple[type[Exception], ...] = (Exception,),
        name: str | None = None,
    ) -> None:
        chain = ([fallback] if fallback is not None else []) + list(fallbacks)
        FallbackNode.__init__(self, primary, chain, only_on=only_on, name=name)


Fallback = FallbackPrimitive


@attrs.frozen(kw_only=True, eq=False)
class FallbackOp(Op):
    """children: the primary, then the fallbacks, in order."""

    kind: ClassVar[str] = "fallback"
    catches_failures: ClassVar[bool] = True

    only_on: tuple[type[Exception], ...]

    def params(self) -> dict[str, object]:
        return {"only_on": [t.__name__ for t in self.only_on]}

    def stream_children(self) -> tuple[Op, ...] | None:
        return self.children

    def edges(self) -> typing.Iterator[Edge]:
        # every route takes the fallback's input (the primary's) and must return what the
        # primary promises: a fallback neither narrows the input nor widens the output
        primary = self.children[0]
        for i, route in enumerate(self.children[1:], start=1):
            yield Edge(self, f"fallback {i} input", None, route, self.in_type, route.in_type)
            yield Edge(self, f"fallback {i} output", route, None, route.out_type, primary.out_type)


@lowering(FallbackNode)
def _lower_fallback(node: FallbackNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    routes = tuple(lw.lower(r) for r in node.routes)
    return FallbackOp(
        **ident,
        in_type=routes[0].in_type,
        out_type=routes[0].out_type,
        children=routes,
        only_on=node.only_on,
    )


@emitter(FallbackOp)
def _emit_fallback(op: FallbackOp, em: Emitter) -> Step:
    steps = [em.emit(c) for c in op.children]
    value = Step(_fallback_over([s.as_async() for s in steps], op, em), True)
    opens = [s.open for s in steps]
    if any(o is None for o in opens):
        return value
    # a stream falls back only before its first chunk: each route's call opens it and reads it
    first = _fallback_over([first_of(o) for o in opens if o is not None], op, em)
    return stream_step(op, em, resume(first), value)


def _fallback_over(routes: list[AsyncFn], op: FallbackOp, em: Emitter) -> AsyncFn:
    """Try `routes` in order (one per child of `op`); the first success is the result."""
    labels = [where(c) for c in op.children]
    only_on, name, count = op.only_on, op.name, len(routes)
    site = GuardSite(node_info(op), em.hooks, durable=em.durable)
    numbered = [site.numbered(route) for route in routes] if em.durable else None

    async def run(x: object) -> object:
        errors: list[Exception] = []
        sent = chunks_sent()
        first = 0 if numbered is None else max(0, resume_point(op.node_id))  # resumed: the route it had reached
        for i in range(first, count):
            try:
                return await (routes[i](x) if numbered is None else numbered[i](i, x))  # type: ignore[misc]
            except only_on as error:
                if isinstance(error, StreamInterruptedError) or chunks_sent() != sent:
                    raise  # chunks are out: another route would send its own after them
                error.add_note(f"route {i} {labels[i]} of fallback {name!r} failed")
                errors.append(error)
                if i + 1 < count:
                    site.emit("on_fallback", op.children[i].name, error)
        raise FallbackError(f"all {count} routes of {name!r} failed", errors)

    return run
