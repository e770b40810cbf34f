"""cse: identical pure sub-plans fed the same input run once.

Branches of one parallel fan-out all receive the same input; two that compute the same pure
function are merged into one branch whose result fills both places in the output.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs

from .._ir import Group, Op, ParOp, rewrite_composites
from .._structure import is_pure, structural_key
from ._base import Change, CompilerPass, PassContext

__all__ = ["CSE"]


def _cse(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    changes: list[Change] = []

    def rule(op: Op) -> Op:
        if not isinstance(op, ParOp):
            return op
        seen: dict[Hashable, int] = {}
        kept: list[Op] = []
        placed: dict[int, int] = {}
        for index, child in enumerate(op.children):
            if is_pure(child):
                key = structural_key(child)
                if key in seen:
                    placed[index] = seen[key]
                    changes.append(
                        Change("cse.parallel-branch", child.name, f"same pure computation as branch {seen[key]} of {op.name!r}: computed once", "removed")
                    )
                    continue
                seen[key] = len(kept)
            placed[index] = len(kept)
            kept.append(child)
        if len(kept) == len(op.children):
            return op

        def remap(group: Group) -> Group:
            return Group(group.combiner, tuple(placed[i] if isinstance(i, int) else remap(i) for i in group.items))

        return attrs.evolve(op, children=tuple(kept), layout=remap(op.layout))

    return rewrite_composites(root, rule), changes


CSE = CompilerPass("cse", "compute identical pure sub-plans on the same input once", _cse)
