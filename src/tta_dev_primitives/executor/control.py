"""Emitters for control flow: conditional branches and bounded loops."""

from __future__ import annotations

import attrs

from ..compiler.ir import BranchOp, LoopOp
from ..context import _current
from ..errors import LoopLimitError
from .emit import Emitter, Step, emitter, node_info
from .hooks import NodeInfo


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


@emitter(LoopOp)
def _emit_loop(op: LoopOp, em: Emitter) -> Step:
    until_step = em.emit(op.children[0])
    body = em.emit_async(op.children[1])
    test, test_is_async = until_step.call, until_step.is_async
    limit, name, return_last = op.max_iterations, op.name, op.on_limit == "return"
    hooks = em.hooks if em.hooks is not None and em.hooks.node_hooks else None
    base = node_info(op)
    iterations: dict[int, NodeInfo] = {}

    def iteration_info(i: int) -> NodeInfo:
        """Each iteration is a node event of its own (one name, so one metric series; the number
        rides on the span as `loop.iteration`)."""
        info = iterations.get(i)
        if info is None:
            attributes = {**base.attributes, "primitive.type": "loop_iteration", "loop.iteration": i}
            info = iterations[i] = attrs.evolve(base, name=f"{name} iteration", kind="loop_iteration", primitive_type="loop_iteration", attributes=attributes)
        return info

    async def done(state: object) -> bool:
        verdict = await test(state) if test_is_async else test(state)  # type: ignore[misc]
        return bool(verdict)

    async def iterate(i: int, state: object) -> object:
        if hooks is None:
            return await body(state)
        info, ctx = iteration_info(i), _current.get()
        states = hooks.node_start(info, ctx)
        try:
            result = await body(state)
        except BaseException as exc:
            hooks.node_error(info, ctx, states, exc)
            raise
        hooks.node_end(info, ctx, states, result)
        return result

    async def run(state: object) -> object:
        for i in range(limit):  # plain awaits: no task per iteration
            if await done(state):
                return state
            state = await iterate(i, state)
        if await done(state) or return_last:
            return state
        raise LoopLimitError(
            f"loop {name!r} ran its body {limit} times without its until condition holding",
            state=state,
            iterations=limit,
            node_name=name,
        )

    return Step(run, True)
