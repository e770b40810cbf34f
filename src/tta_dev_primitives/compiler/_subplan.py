"""A compiled plan used as a node of another plan (a sub-agent as a tool, a sub-workflow).

`PlanNode(plan)` lowers to the plan's own ops, renumbered into the enclosing plan, rather than
to a call of `plan.run`: the enclosing plan's EXPLAIN, analysis (calls, cost, latency; budgets),
hooks and spans see inside it as if it had been built there.
"""

from __future__ import annotations

import typing

import attrs

from ..dsl._core import Node
from ._ir import Op, fold, walk
from ._lowering import Lowerer, lowering
from ._program import Program

__all__ = ["PlanNode"]

In = typing.TypeVar("In", contravariant=True)
Out = typing.TypeVar("Out", covariant=True)


class PlanNode(Node[In, Out]):
    """`plan` as a node: `Node[plan's input, plan's output]`."""

    primitive_type = "plan"

    def __init__(self, plan: Program[In, Out]) -> None:
        self.plan = plan
        self._set_name(plan.name)


@lowering(PlanNode)
def _lower_plan(node: PlanNode[typing.Never, object], lw: Lowerer) -> Op:
    ids = {id(op): lw.next_id() for op in walk(node.plan.root)}  # depth first, as the Lowerer numbers

    def renumber(op: Op, children: list[Op]) -> Op:
        return attrs.evolve(op.with_children(tuple(children)) if children else op, node_id=ids[id(op)])

    return fold(node.plan.root, renumber)
