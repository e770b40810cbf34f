"""hoist_parallel: run independent steps concurrently; compute shared prefixes once.

1. In a sequence, consecutive passthrough steps (they return their input and work through
   RunContext.state) whose declared reads and writes do not conflict become one stage that runs
   them concurrently. Steps must declare `passthrough=True` and their state keys (or purity).
2. When every branch of a parallel starts with the same pure computation, it is computed once,
   before the parallel.
"""

from __future__ import annotations

import attrs

from .._ir import Op, ParOp, SeqOp, StageOp, rewrite_composites
from .._structure import is_pure, structural_key
from ._base import Change, CompilerPass, PassContext

__all__ = ["HOIST_PARALLEL", "conflicts"]


def _hoistable(op: Op) -> bool:
    traits = op.traits
    return traits.passthrough and (traits.pure or bool(traits.reads) or bool(traits.writes))


def conflicts(a: Op, b: Op) -> bool:
    """Whether two steps touch the same state key and at least one of them writes it."""
    ta, tb = a.traits, b.traits
    return bool(ta.writes & (tb.writes | tb.reads) or tb.writes & ta.reads)


def _hoist(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    changes: list[Change] = []

    def stage(group: list[Op]) -> Op:
        names = ", ".join(g.name for g in group)
        changes.append(Change("hoist.stage", names, f"{len(group)} steps with disjoint state reads/writes run concurrently", "added"))
        return StageOp(
            node_id=ctx.new_id(),
            name=f"stage({names})",
            primitive_type="stage",
            location=group[0].location,
            in_type=group[0].in_type,
            out_type=group[0].in_type,
            children=tuple(group),
        )

    def in_sequence(op: SeqOp) -> Op:
        if sum(1 for step in op.children if step.traits.passthrough and _hoistable(step)) < 2:
            return op  # no two steps to run together (nearly every sequence): one scan decides
        steps: list[Op] = []
        group: list[Op] = []

        def flush() -> None:
            if len(group) >= 2:
                steps.append(stage(group))
            else:
                steps.extend(group)
            group.clear()

        for step in op.children:
            if _hoistable(step) and not any(conflicts(step, g) for g in group):
                group.append(step)
                continue
            flush()
            if _hoistable(step):
                group.append(step)
            else:
                steps.append(step)
        flush()
        if len(steps) == len(op.children):
            return op
        return steps[0] if len(steps) == 1 else op.with_children(tuple(steps))

    def common_prefix(op: ParOp) -> Op:
        branches = op.children
        if len(branches) < 2 or not all(isinstance(b, SeqOp) and len(b.children) >= 2 for b in branches):
            return op
        first = branches[0].children[0]
        if not is_pure(first) or any(structural_key(b.children[0]) != structural_key(first) for b in branches[1:]):
            return op
        rests = tuple(b.children[1] if len(b.children) == 2 else b.with_children(b.children[1:]) for b in branches)
        changes.append(Change("hoist.common-prefix", first.name, f"computed once before {op.name!r} instead of in each of its {len(branches)} branches", "rewired"))
        inner = attrs.evolve(op, children=rests, in_type=first.out_type)
        return SeqOp(
            node_id=ctx.new_id(),
            name=f"{first.name} >> {op.name}",
            primitive_type="sequence",
            location=op.location,
            in_type=op.in_type,
            out_type=op.out_type,
            children=(first, inner),
        )

    def rule(op: Op) -> Op:
        if isinstance(op, SeqOp):
            return in_sequence(op)
        if isinstance(op, ParOp):
            return common_prefix(op)
        return op

    return rewrite_composites(root, rule), changes


HOIST_PARALLEL = CompilerPass("hoist_parallel", "run independent state steps concurrently; hoist common branch prefixes", _hoist)
