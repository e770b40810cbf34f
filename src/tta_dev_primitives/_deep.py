"""Recursion whose depth follows the user's graph, without RecursionError.

Graphs are trees the user builds: 5,000 nested retries or parallels are legal, and the walks
over them (naming, lowering, rewriting, emitting, analysis) are naturally recursive. Rather than
rewrite every rule as an explicit-stack machine (stdlib and user lowering rules included), each
recursive entry point is wrapped with `depth_independent`: after `LEVELS` nested calls in one
thread, the next call continues in a fresh thread, whose recursion counter and C stack start
from zero, and the caller waits for it. Shallow graphs (nearly all) pay one thread-local read
per call; a graph 5,000 levels deep costs about 5000 / LEVELS short-lived threads.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from typing_extensions import ParamSpec

__all__ = ["LEVELS", "MAX_LEVELS", "depth_independent"]

P = ParamSpec("P")
R = TypeVar("R")

LEVELS = 48
"""Wrapped calls per thread before continuing in a fresh one. A level of a walk spends a few
Python frames (rule, helper, generator expression), so 48 levels stay far below the default
recursion limit of 1000 even when the walk starts from an already deep stack."""

_HEADROOM = 400
"""Frames a walk needs left below the recursion limit to start in the calling thread."""


MAX_LEVELS = 1_000_000
"""Beyond this many nested levels the walk is taken to be endless (a structure that contains
itself in a way no cycle check saw) and fails with RecursionError instead of spawning threads
forever."""


class _Level(threading.local):
    value = 0
    """Wrapped calls open in this thread."""
    below = 0
    """Wrapped calls open in the threads this one continues."""


_level = _Level()


def _frames_left() -> int:
    """How many frames remain below the recursion limit in this thread (counted once per walk)."""
    depth = 0
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return sys.getrecursionlimit() - depth


def _in_fresh_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    outcome: list[R] = []
    failure: list[BaseException] = []
    context = contextvars.copy_context()
    below = _level.below + _level.value

    def run() -> None:
        _level.below = below
        try:
            outcome.append(context.run(fn, *args, **kwargs))
        except BaseException as error:  # handed to the waiting caller, which re-raises it
            failure.append(error)

    worker = threading.Thread(target=run, name="tta-deep-walk", daemon=True)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]


def depth_independent(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a recursive function so that its recursion depth is not limited by the stack."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        level = _level.value
        if level >= LEVELS or (level == 0 and _frames_left() < _HEADROOM):
            if _level.below + level >= MAX_LEVELS:
                raise RecursionError(f"{fn.__qualname__}: structure nested more than {MAX_LEVELS} levels deep")
            return _in_fresh_thread(call, *args, **kwargs)
        _level.value = level + 1
        try:
            return fn(*args, **kwargs)
        finally:
            _level.value = level

    return call
