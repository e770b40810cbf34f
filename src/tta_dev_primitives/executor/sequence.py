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
from collections.abc import Callable

from ..compiler.ir import SeqOp
from .emit import Emitter, Step, emitter
from .notes import note, where

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
    if len(steps) == 1:
        return steps[0]
    filename = f"<tta sequence #{next(_counter)} {op.name!r:.80}>"  # repr: no control characters
    lines = ["async def run(x):", "    try:"]
    first_line = len(lines) + 1
    namespace: dict[str, object] = {}
    for i, step in enumerate(steps):
        namespace[f"s{i}"] = step.call
        lines.append(f"        x = await s{i}(x)" if step.is_async else f"        x = s{i}(x)")
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
    return Step(run, True)
