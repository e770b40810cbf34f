"""Emitters for control flow: conditional branches and bounded loops."""

from __future__ import annotations

import attrs

from ..compiler._ir import BranchOp, LoopOp
from ..errors import LoopLimitError
from ._emit import AsyncFn, Emitter, Step, emitter, instrument, node_info


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
    observed: dict[int, AsyncFn] = {}

    async def test_state(state: object) -> object:
        return await test(state) if test_is_async else test(state)  # type: ignore[misc]

    if em.durable:  # each iteration's test and body journal under a key path of their own
        from ._journaling import numbered

        keyed_test, keyed_body = numbered(str(op.node_id), test_state), numbered(str(op.node_id), body)

        def body_at(i: int) -> AsyncFn:
            return lambda state: keyed_body(i, state)

        async def done(state: object, i: int) -> bool:
            return bool(await keyed_test(i, state))

    else:

        def body_at(i: int) -> AsyncFn:
            return body

        async def done(state: object, i: int) -> bool:
            return bool(await test_state(state))

    def iteration(i: int) -> AsyncFn:
        """The body as iteration `i`: a node event of its own when hooks are on (one name, so one
        metric series; the number rides on the span as `loop.iteration`)."""
        if hooks is None:
            return body_at(i)
        run_body = observed.get(i)
        if run_body is None:
            attributes = {**base.attributes, "primitive.type": "loop_iteration", "loop.iteration": i}
            info = attrs.evolve(base, name=f"{name} iteration", kind="loop_iteration", primitive_type="loop_iteration", attributes=attributes)
            run_body = observed[i] = instrument(info, Step(body_at(i), True), hooks).as_async()
        return run_body

    async def run(state: object) -> object:
        for i in range(limit):  # plain awaits: no task per iteration
            if await done(state, i):
                return state
            state = await iteration(i)(state)
        if await done(state, limit) or return_last:
            return state
        raise LoopLimitError(
            f"loop {name!r} ran its body {limit} times without its until condition holding",
            state=state,
            iterations=limit,
            node_name=name,
        )

    return Step(run, True)
