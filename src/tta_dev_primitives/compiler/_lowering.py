"""Lowering: turn a Node graph into IR ops, one rule per node class.

Rules are looked up along the node class's MRO, so subclasses inherit their parent's lowering;
stdlib primitives register their own rules with `@lowering(NodeClass)`. The Lowerer detects
cycles (a node that contains itself) and assigns stable node ids in depth-first order.
"""

from __future__ import annotations

import typing

import attrs
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..dsl._composite import BranchNode, CastNode, Chain, ConstNode, LoopNode, MapNode, ParallelNode
from ..dsl._function import FunctionNode
from ..dsl._streaming import StreamFunction, StreamView
from ..dsl._introspect import CallableInfo
from ..dsl._core import AnyNode, Node
from .._deep import depth_independent
from .._registry import ClassRegistry
from ..errors import BuildError, CycleError
from ..dsl._callables import return_type_of
from ._generics import specialize_op
from ._ir import BranchOp, CallOp, CastOp, ConstOp, Group, LoopOp, MapOp, Op, ParOp, SeqOp, StreamOp, leaf_call
from ._types import most_specific, tuple_of, union_of

__all__ = ["Lowerer", "LoweringRule", "call_op", "lower", "lowering", "op_identity"]

N = TypeVar("N", bound=Node[typing.Never, object])
LoweringRule = Callable[[N, "Lowerer"], Op]

_RULES: ClassRegistry[Callable[[AnyNode, Lowerer], Op]] = ClassRegistry("lowering rule")


def lowering(node_class: type[N]) -> Callable[[LoweringRule[N]], LoweringRule[N]]:
    """Register how nodes of `node_class` (and its subclasses) become IR ops."""

    def register(rule: LoweringRule[N]) -> LoweringRule[N]:
        _RULES.register(node_class, rule)  # type: ignore[arg-type]
        return rule

    return register


class Lowerer:
    """State of one lowering: the id counter and the stack of nodes being lowered."""

    def __init__(self) -> None:
        self._next_id = 0
        self._stack: list[AnyNode] = []
        self._open: set[int] = set()  # ids of the nodes on the stack: the cycle check is O(1)

    def lower(self, node: AnyNode) -> Op:
        """Lower `node` (and, through its rule, its children)."""
        if type(node) is FunctionNode:  # a leaf, the most common node: no recursion to guard
            return _lower_function(node, self)
        return self._lower_composite(node)

    @depth_independent
    def _lower_composite(self, node: AnyNode) -> Op:
        if id(node) in self._open:
            start = next(i for i, n in enumerate(self._stack) if n is node)
            path = " -> ".join(f"{n.name!r} ({n.location})" for n in [*self._stack[start:], node])
            raise CycleError(f"cycle in the workflow graph: {path}; a node cannot contain itself")
        rule = self._rule_for(node)
        self._stack.append(node)
        self._open.add(id(node))
        try:
            return rule(node, self)
        finally:
            self._stack.pop()
            self._open.discard(id(node))

    def next_id(self) -> int:
        """A fresh node id, in depth-first order of lowering."""
        node_id = self._next_id
        self._next_id += 1
        return node_id

    @staticmethod
    def _rule_for(node: object) -> Callable[[AnyNode, Lowerer], Op]:
        if not isinstance(node, Node):
            raise BuildError(f"cannot compile {type(node).__name__} {node!r}: not a Node (wrap functions with node())")
        rule = _RULES.lookup(type(node))
        if rule is not None:
            return rule
        raise BuildError(
            f"{node!r}: no lowering registered for {type(node).__qualname__}; subclass WorkflowPrimitive "
            "or register one with @lowering"
        )


def lower(node: AnyNode) -> Op:
    """Lower a whole graph."""
    return Lowerer().lower(node)


def op_identity(node: AnyNode, lw: Lowerer) -> dict[str, typing.Any]:
    """The fields every op takes from its node: a fresh id, name, primitive type, location."""
    return {
        "node_id": lw.next_id(),
        "name": node.name,
        "primitive_type": node.primitive_type,
        "location": node.location,
        "traits": node.traits,
    }


def call_op(node: AnyNode, lw: Lowerer, fn: Callable[..., object], info: CallableInfo, *, thread: bool = False) -> CallOp:
    """The op that calls `fn` for `node`: shared by every node that wraps a user callable."""
    return leaf_call(  # CallOp(...) built faster, with the fields of `op_identity`: this is every leaf's path
        node_id=lw.next_id(),
        name=node.name,
        primitive_type=node.primitive_type,
        location=node.location,
        traits=node.traits,
        in_type=info.in_type,
        out_type=info.out_type,
        fn=fn,
        is_async=info.is_async,
        arity=info.arity,
        thread=thread,
        qualname=info.qualname,
    )


@lowering(FunctionNode)
def _lower_function(node: FunctionNode[typing.Never, object], lw: Lowerer) -> Op:
    return call_op(node, lw, node.fn, node.info, thread=node.thread)


@lowering(Chain)
def _lower_chain(node: Chain[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    steps = [lw.lower(s) for s in node.steps]
    for i in range(1, len(steps)):  # a generic step takes its types from the step before it
        steps[i] = specialize_op(steps[i], steps[i - 1].out_type)
    return SeqOp(**ident, in_type=steps[0].in_type, out_type=steps[-1].out_type, children=tuple(steps))


@lowering(ParallelNode)
def _lower_parallel(node: ParallelNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    branches = tuple(lw.lower(b) for b in node.branches)
    out = tuple_of([b.out_type for b in branches]) if node.combiner is None else return_type_of(node.combiner)
    return ParOp(
        **ident,
        in_type=most_specific(b.in_type for b in branches),
        out_type=out,
        children=branches,
        layout=Group(node.combiner, tuple(range(len(branches)))),
    )


@lowering(BranchNode)
def _lower_branch(node: BranchNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    children = (lw.lower(node.predicate), lw.lower(node.if_true), lw.lower(node.if_false))
    return BranchOp(
        **ident,
        in_type=most_specific(c.in_type for c in children),
        out_type=union_of([children[1].out_type, children[2].out_type]) if node.out is None else node.out,
        children=children,
    )


@lowering(MapNode)
def _lower_map(node: MapNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    body = lw.lower(node.body)
    return MapOp(
        **ident,
        in_type=Sequence[body.in_type],  # type: ignore[name-defined]
        out_type=list[body.out_type],  # type: ignore[name-defined]
        children=(body,),
        concurrency=node.concurrency,
    )


@lowering(CastNode)
def _lower_cast(node: CastNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    inner = lw.lower(node.inner)
    return CastOp(**ident, in_type=inner.in_type, out_type=node.target, children=(inner,))


@lowering(ConstNode)
def _lower_const(node: ConstNode[typing.Never, object], lw: Lowerer) -> Op:
    return ConstOp(**op_identity(node, lw), in_type=object, out_type=type(node.value), value=node.value)


@lowering(LoopNode)
def _lower_loop(node: LoopNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    until, body = lw.lower(node.until), lw.lower(node.body)
    return LoopOp(
        **ident,
        in_type=body.in_type,
        out_type=body.out_type,
        children=(until, body),
        max_iterations=node.max_iterations,
        on_limit=node.on_limit,
    )


@lowering(StreamFunction)
def _lower_stream(node: StreamFunction[typing.Never, object, object], lw: Lowerer) -> Op:
    return StreamOp(
        **op_identity(node, lw),
        in_type=node.in_type,
        out_type=node.out_type,
        fn=node.fn,
        is_async=True,
        arity=node.arity,
        thread=False,
        qualname=node.qualname,
        chunk_type=node.chunk_type,
        join=node.join,
        split=node.split,
        consumes=node.consumes,
    )


@lowering(StreamView)
def _lower_stream_view(node: StreamView[typing.Never, object, object], lw: Lowerer) -> Op:
    op = lw.lower(node.inner)
    explicit = getattr(node, "_tta_name", None)
    return op if explicit is None else attrs.evolve(op, name=explicit)
