"""The sequence emitter: one generated function per sequence, a plain statement per step.

`seq(a, b, c)` becomes::

    async def seq(x):
        try:
            x = await s0(x)   # async step
            x = s1(x)         # sync step, called inline
            x = await s2(x)
            return x
        except Exception as exc:
            _place(exc)       # note which step failed, from the traceback's line number
            raise

so a run pays one call per step and nothing else: no loop, no task, no per-step bookkeeping.
The plan's run function is generated the same way, its input check and RunContext set-up (a
`Frame`) around its root sequence's steps, so a plan's run is one coroutine (see `framed`).
"""

from __future__ import annotations

import itertools
import linecache
import types
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

from ..compiler._ir import SeqOp
from ..compiler._streams import consumes_stream
from ._emit import AsyncFn, Emitter, OpenFn, Step, emitter
from ._step import Frame
from ._streaming import close_quietly, stream_step
from ._notes import note, where

_counter = itertools.count()


def _placer(op: SeqOp | None, first_line: int, then: Callable[[BaseException], None] | None) -> Callable[[BaseException], None]:
    """A function that notes which step of `op` raised, from the traceback line number, and
    then calls `then` (the frame's note, which adds nothing once a step placed the error)."""
    if op is None:
        assert then is not None
        return then
    steps = op.children

    def place(exc: BaseException) -> None:
        tb: types.TracebackType | None = exc.__traceback__
        if tb is not None:
            index = tb.tb_lineno - first_line
            if 0 <= index < len(steps):
                note(exc, f"in step {index} {where(steps[index])} of sequence {op.name!r} (built at {op.location})")
        if then is not None:
            then(exc)

    return place


@emitter(SeqOp)
def _emit_seq(op: SeqOp, em: Emitter) -> Step:
    steps = [em.emit(child) for child in op.children]
    kinds = _kinds(op, steps)
    last = steps[-1]
    if len(steps) == 1:
        value = last
    else:
        calls = _calls(steps, kinds, len(steps))
        value = Step(_generate(op, calls), True, inline=lambda frame: _generate(op, calls, frame))
    if last.open is None:
        return value
    # a sequence ending in a stream streams too: the steps before the last run as usual
    if len(steps) == 1:
        return value if id(op) not in em.outlets else stream_step(op, em, last.open)
    prefix = _generate(op, _calls(steps, kinds, len(steps) - 1))
    return stream_step(op, em, _then_open(prefix, last.open), value)


def framed(step: Step, frame: Frame, label: str) -> Callable[..., Awaitable[object]]:
    """`step` run inside `frame` as one generated coroutine: a sequence's own steps inlined
    (see `Step.inline`), any other step as its single statement. `label` names the function's
    source in tracebacks."""
    if step.inline is not None:
        return step.inline(frame)
    return _generate(None, [(step.call, step.is_async)], frame, label)


def _kinds(op: SeqOp, steps: list[Step]) -> list[str]:
    """How each step is called: "await"/"sync" (its value), "open" (its chunks go to the next
    step, which takes a stream) or "reduce" (it takes the previous step's chunks as a value)."""
    children = op.children
    kinds: list[str] = []
    for i, step in enumerate(steps):
        piped = i + 1 < len(steps) and step.open is not None and consumes_stream(children[i + 1])
        if piped:
            kinds.append("open")
        elif i and kinds[i - 1] == "open" and step.open is None:
            kinds.append("reduce")
        else:
            kinds.append("await" if step.is_async else "sync")
    return kinds


Call = tuple[Callable[[object], object], bool]
"""A generated statement: the function called on `x`, and whether its result is awaited."""


def _calls(steps: list[Step], kinds: list[str], count: int) -> list[Call]:
    """The statements running the first `count` steps."""
    calls: list[Call] = []
    for step, kind in zip(steps[:count], kinds):
        if kind == "open":
            assert step.open is not None
            calls.append((step.open, False))
        elif kind == "reduce":
            calls.append((_reducer(step), True))
        else:
            calls.append((step.call, kind == "await"))
    return calls


def _generate(op: SeqOp | None, calls: list[Call], frame: Frame | None = None, label: str = "") -> AsyncFn:
    """The function running `calls` in order, one statement each; inside `frame` when given.
    An error is noted with the step of `op` that raised (op None: a single step, placed by the
    frame)."""
    name = repr(op.name if op is not None else label)
    filename = f"<tta {'plan' if frame is not None else 'sequence'} #{next(_counter)} {name:.80}>"  # repr: no control characters
    params = "".join(f", {param}" for param in frame.params) if frame is not None else ""
    lines = [f"async def run(x{params}):", *(frame.prologue if frame is not None else ()), "    try:"]
    first_line = len(lines) + 1
    namespace: dict[str, object] = dict(frame.namespace) if frame is not None else {}
    for i, (call, awaited) in enumerate(calls):
        namespace[f"s{i}"] = call
        lines.append(f"        x = await s{i}(x)" if awaited else f"        x = s{i}(x)")
    lines += ["        return x", "    except Exception as exc:", "        _place(exc)", "        raise"]
    if frame is not None:
        lines += ["    finally:", *frame.epilogue]
    namespace["_place"] = _placer(op, first_line, frame.place if frame is not None else None)
    source = "\n".join(lines) + "\n"
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - generated from op structure only
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    run = namespace["run"]
    assert callable(run)
    # Tracebacks show the generated source while the plan lives; plans built per request must not
    # leave an entry behind each, so the entry goes when the generated function does.
    weakref.finalize(run, linecache.cache.pop, filename, None)
    return run


def _reducer(step: Step) -> AsyncFn:
    """A step that takes a whole stream as its input; the stream is closed after it, whether it
    read it all or not."""
    call, is_async = step.call, step.is_async

    async def reduce(chunks: object) -> object:
        try:
            result = call(chunks)
            return await result if is_async else result  # type: ignore[misc]
        finally:
            await close_quietly(chunks)

    return reduce


def _then_open(prefix: AsyncFn, open_: OpenFn) -> OpenFn:
    async def opened(x: object) -> AsyncIterator[object]:
        iterator = open_(await prefix(x))
        try:
            async for chunk in iterator:
                yield chunk
        finally:
            await close_quietly(iterator)

    return opened
