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
    """`plan` as a node: `Node[plan's input, plan's output]`. Its own telemetry attributes
    (`with_attributes`: a tool's name and description) go on the plan's root op."""

    primitive_type = "plan"

    def __init__(self, plan: Program[In, Out]) -> None:
        self.plan = plan
        self._set_name(plan.name)


@lowering(PlanNode)
def _lower_plan(node: PlanNode[typing.Never, object], lw: Lowerer) -> Op:
    ids = {id(op): lw.next_id() for op in walk(node.plan.root)}  # depth first, as the Lowerer numbers

    def renumber(op: Op, children: list[Op]) -> Op:
        return attrs.evolve(op.with_children(tuple(children)) if children else op, node_id=ids[id(op)])

    root = fold(node.plan.root, renumber)
    own = node.traits.attributes
    if not own:
        return root
    # the plan node's own telemetry attributes (a tool's, `with_attributes`) go on the plan's root span
    merged = tuple(sorted((dict(root.traits.attributes) | dict(own)).items()))
    return attrs.evolve(root, traits=attrs.evolve(root.traits, attributes=merged))
