"""Emitter for conditional branches."""

from __future__ import annotations

from ..compiler.ir import BranchOp
from .emit import Emitter, Step, emitter


@emitter(BranchOp)
def _emit_branch(op: BranchOp, em: Emitter) -> Step:
    predicate = em.emit(op.children[0])
    if_true = em.emit_async(op.children[1])
    if_false = em.emit_async(op.children[2])
    test = predicate.call

    if predicate.is_async:

        async def run_async_predicate(x: object) -> object:
            return await (if_true if await test(x) else if_false)(x)  # type: ignore[misc]

        return Step(run_async_predicate, True)

    async def run(x: object) -> object:
        return await (if_true if test(x) else if_false)(x)

    return Step(run, True)
