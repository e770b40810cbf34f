"""Emitters for leaf calls and casts."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import anyio.to_thread

from ..compiler._ir import CallOp, CastOp, ConstOp
from ..context import _current
from ..dsl._types import UNKNOWN
from ._emit import AsyncFn, Emitter, Step, emitter
from ._outputs import checked, output_checker


@emitter(CallOp)
def _emit_call(op: CallOp, em: Emitter) -> Step:
    step = _call_step(op)
    check = output_checker(op.out_type) if em.check_outputs else None
    if check is None:
        return step
    verify = checked(op.name, op.out_type, op.location, check)
    call = step.call
    if not step.is_async:
        return Step(lambda x: verify(call(x)), False)

    async def verified(x: object) -> object:
        return verify(await call(x))  # type: ignore[misc]

    return Step(verified, True)


def _call_step(op: CallOp) -> Step:
    fn = op.fn
    if op.arity == 0:
        call = lambda x: fn()  # noqa: E731 - a node with no parameters ignores its input
    elif op.arity == 2:
        get_ctx = _current.get
        call = lambda x: fn(x, get_ctx())  # noqa: E731
    else:
        call = fn
    if op.is_async:
        return Step(call, True)
    if op.thread:
        run_sync = anyio.to_thread.run_sync

        async def in_thread(x: object) -> object:
            # A thread cannot be killed: at a timeout or cancellation the caller stops waiting
            # and the thread's eventual result is dropped (it still runs to its end).
            return await run_sync(functools.partial(call, x), abandon_on_cancel=True)

        return Step(in_thread, True)
    if op.out_type is UNKNOWN:
        return Step(_await_if_awaitable(call), True)
    return Step(call, False)


def _await_if_awaitable(call: Callable[[object], object]) -> AsyncFn:
    """Unannotated sync callables (often lambdas) may return a coroutine; await it if so."""

    async def run(x: object) -> object:
        result = call(x)
        if inspect.isawaitable(result):
            return await result
        return result

    return run


@emitter(CastOp)
def _emit_cast(op: CastOp, em: Emitter) -> Step:
    step = em.emit(op.children[0])
    if step.open is not None and id(op) in em.outlets:
        from ._streaming import stream_step

        return stream_step(op, em, step.open)
    return step


@emitter(ConstOp)
def _emit_const(op: ConstOp, em: Emitter) -> Step:
    value = op.value
    return Step(lambda x: value, False)
