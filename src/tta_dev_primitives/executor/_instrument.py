"""Hooks around steps: a node's start, end, errors and chunks reported as it runs.

Every op's step is wrapped once, when the plan's closures are built and only when the plan has
node hooks; a streaming step's stream is wrapped too, so its node ends at its last chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..compiler._ir import StreamOp
from ..context import _current
from ._hooks import HookSet, NodeInfo
from ._step import AsyncFn, OpenFn, Step

__all__ = ["close_quietly", "instrument", "instrument_open"]


def instrument(info: NodeInfo, step: Step, hooks: HookSet) -> Step:
    """`step` reporting start, end and errors to `hooks` as the node `info`.

    A streaming step's `open` is wrapped too: the node ends at its last chunk, and its chunks
    are reported (`on_chunk`) when it produces them itself (a stream op, not a wrapper)."""
    if step.open is None:
        return Step(_instrumented_call(info, step, hooks), True)
    opened = instrument_open(info, step.open, hooks)
    if step.collect is not None:  # its call collects its chunks: rebuilt on the wrapped stream
        return Step(step.collect(opened), True, opened, step.collect)
    return Step(_instrumented_call(info, step, hooks), True, opened)


def _instrumented_call(info: NodeInfo, step: Step, hooks: HookSet) -> AsyncFn:
    inner = step.as_async()
    get_ctx = _current.get

    async def instrumented(x: object) -> object:
        ctx = get_ctx()
        states = hooks.node_start(info, ctx)
        if inputs:
            hooks.node_input(info, ctx, states, x, inputs)
        try:
            if waits and (backlog := hooks.backlog()) is not None:
                await backlog
            result = await inner(x)
        except BaseException as exc:
            hooks.node_error(info, ctx, states, exc)
            raise
        hooks.node_end(info, ctx, states, result)
        if waits and (backlog := hooks.backlog()) is not None:
            await backlog
        return result

    waits = hooks.has_waiters
    inputs = hooks.input_hooks(info)
    return instrumented


def instrument_open(info: NodeInfo, open_: OpenFn, hooks: HookSet) -> OpenFn:
    """A stream under hooks: the node starts when its stream opens and ends at the last chunk
    (so its span covers the whole stream); a stream op reports each chunk it produces."""
    get_ctx = _current.get
    report_chunks = info.kind == StreamOp.kind and hooks.reports_chunks
    waits = hooks.has_waiters
    inputs = hooks.input_hooks(info)

    async def opened(x: object) -> AsyncIterator[object]:
        ctx = get_ctx()
        states = hooks.node_start(info, ctx)
        if inputs:
            hooks.node_input(info, ctx, states, x, inputs)
        iterator = open_(x)
        index = 0
        failed = False
        try:
            if waits and (backlog := hooks.backlog()) is not None:
                await backlog
            async for chunk in iterator:
                if report_chunks:
                    hooks.chunk(info, ctx, states, index, chunk)
                    if waits and (backlog := hooks.backlog()) is not None:
                        await backlog
                index += 1
                yield chunk
        except GeneratorExit:  # its reader stopped reading (a reducer that has enough): an end, not a failure
            raise
        except BaseException as exc:
            failed = True
            hooks.node_error(info, ctx, states, exc)
            raise
        finally:
            await close_quietly(iterator)
            if not failed:
                hooks.node_end(info, ctx, states, None)

    return opened


async def close_quietly(iterator: object) -> None:
    """`aclose()` an async iterator if it has one (SDK streams release their connection)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
