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
"""

from __future__ import annotations

import itertools
import linecache
import types
import weakref
from collections.abc import AsyncIterator, Callable

from ..compiler._ir import SeqOp
from ..compiler._streams import consumes_stream
from ._emit import AsyncFn, Emitter, OpenFn, Step, emitter
from ._streaming import close_quietly, stream_step
from ._notes import note, where

_counter = itertools.count()


def _placer(op: SeqOp, first_line: int) -> Callable[[BaseException], None]:
    """A function that notes which step of `op` raised, from the traceback line number."""
    steps = op.children

    def place(exc: BaseException) -> None:
        tb: types.TracebackType | None = exc.__traceback__
        if tb is None:
            return
        index = tb.tb_lineno - first_line
        if 0 <= index < len(steps):
            note(exc, f"in step {index} {where(steps[index])} of sequence {op.name!r} (built at {op.location})")

    return place


@emitter(SeqOp)
def _emit_seq(op: SeqOp, em: Emitter) -> Step:
    steps = [em.emit(child) for child in op.children]
    kinds = _kinds(op, steps)
    last = steps[-1]
    if len(steps) == 1:
        run: AsyncFn | None = None
        value = last
    else:
        run = _generate(op, steps, kinds, len(steps))
        value = Step(run, True)
    if last.open is None:
        return value
    # a sequence ending in a stream streams too: the steps before the last run as usual
    if len(steps) == 1:
        return value if id(op) not in em.outlets else stream_step(op, em, last.open)
    prefix = _generate(op, steps, kinds, len(steps) - 1)
    return stream_step(op, em, _then_open(prefix, last.open), value)


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


def _generate(op: SeqOp, steps: list[Step], kinds: list[str], count: int) -> AsyncFn:
    """The function running the first `count` steps."""
    filename = f"<tta sequence #{next(_counter)} {op.name!r:.80}>"  # repr: no control characters
    lines = ["async def run(x):", "    try:"]
    first_line = len(lines) + 1
    namespace: dict[str, object] = {}
    for i in range(count):
        step, kind = steps[i], kinds[i]
        if kind == "open":
            namespace[f"s{i}"] = step.open
            lines.append(f"        x = s{i}(x)")
        elif kind == "reduce":
            namespace[f"s{i}"] = _reducer(step)
            lines.append(f"        x = await s{i}(x)")
        else:
            namespace[f"s{i}"] = step.call
            lines.append(f"        x = await s{i}(x)" if kind == "await" else f"        x = s{i}(x)")
    lines += ["        return x", "    except Exception as exc:", "        _place(exc)", "        raise"]
    namespace["_place"] = _placer(op, first_line)
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
