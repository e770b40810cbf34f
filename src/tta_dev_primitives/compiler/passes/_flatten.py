"""flatten: nested sequences and parallels become one level.

`a >> b >> c` is built as seq(seq(a, b), c); flattened it is seq(a, b, c): one loop, flat step
indices in errors. Nested parallels join their parent's task group; their result shape is kept
by nesting layout groups, so results are unchanged. A nested sequence or parallel that declares
something of its own (a span kind such as an agent's, any `declare(...)`) stays whole: inlining
it would lose what it declared.
"""

from __future__ import annotations

from typing import TypeGuard, TypeVar

import attrs

from ..._deep import depth_independent
from ...dsl._traits import NO_TRAITS
from .._ir import Group, Op, ParOp, SeqOp, rewrite_composites
from ._base import Change, CompilerPass, PassContext

__all__ = ["FLATTEN"]


@depth_independent
def _shift(group: Group, offset: int) -> Group:
    if offset == 0:  # the common case (`parallel(inner, x)`): nested layouts stay shared, O(1)
        return group
    return Group(group.combiner, tuple(i + offset if isinstance(i, int) else _shift(i, offset) for i in group.items))


O = TypeVar("O", bound=Op)


def _inlinable(child: Op, kind: type[O]) -> TypeGuard[O]:
    """Whether `child` is a `kind` op that declares nothing of its own (see the module doc)."""
    return isinstance(child, kind) and child.traits == NO_TRAITS


def _flatten(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    changes: list[Change] = []

    def rule(op: Op) -> Op:
        if isinstance(op, SeqOp):
            if not any(isinstance(c, SeqOp) and _inlinable(c, SeqOp) for c in op.children):  # the common case, decided in one scan
                return op
            steps: list[Op] = []
            for child in op.children:
                if _inlinable(child, SeqOp):
                    changes.append(Change("flatten.inline-seq", child.name, f"{len(child.children)} steps inlined into {op.name!r}"))
                    steps.extend(child.children)
                else:
                    steps.append(child)
            return op.with_children(tuple(steps))
        if isinstance(op, ParOp):
            if not any(isinstance(c, ParOp) and _inlinable(c, ParOp) for c in op.children):
                return op
            branches: list[Op] = []
            placed: dict[int, int | Group] = {}
            for index, child in enumerate(op.children):
                if _inlinable(child, ParOp):
                    changes.append(
                        Change("flatten.inline-par", child.name, f"{len(child.children)} branches join {op.name!r}'s task group")
                    )
                    placed[index] = _shift(child.layout, len(branches))
                    branches.extend(child.children)
                else:
                    placed[index] = len(branches)
                    branches.append(child)

            @depth_independent
            def remap(group: Group) -> Group:
                return Group(group.combiner, tuple(placed[i] if isinstance(i, int) else remap(i) for i in group.items))

            return attrs.evolve(op, children=tuple(branches), layout=remap(op.layout))
        return op

    return rewrite_composites(root, rule), changes


FLATTEN = CompilerPass("flatten", "inline nested sequences and parallels", _flatten)
