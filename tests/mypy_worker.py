"""mypy's API (`mypy.api.run`), run in one worker process that every typing test shares.

mypy keeps the last build it ran in module globals (`mypy.modules_state`): millions of objects
(4 million after the docs' blocks). Run in the test process, they would stay there for the rest
of the session, and every full garbage collection after them, the explicit ones in the leak and
stress tests included, would walk them all: seconds each. In a worker they cost the session
nothing, and the reports are the same: it is the same call, with the same arguments.

A test module can queue its runs when the session starts (`start`, from its `prefetch`, which
tests/conftest.py calls for the modules whose tests are selected): the worker checks while the
tests before them run, on a core the test process leaves idle, and `run` with the same arguments
takes the report. The worker runs its calls one at a time, in the order they came: a run that
needs the shared cache warm comes after the run that warms it.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from mypy import api

_worker: ProcessPoolExecutor | None = None
_started: dict[tuple[str, ...], Future[tuple[str, str, int]]] = {}


def _submit(args: list[str]) -> Future[tuple[str, str, int]]:
    global _worker
    if _worker is None:
        # spawn, not fork: a fork would copy this process's threads and event-loop state
        _worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_worker.shutdown, cancel_futures=True)  # runs queued for tests that never ran (-x) are dropped
    return _worker.submit(api.run, args)


def start(args: list[str]) -> None:
    """Queue `mypy.api.run(args)` in the worker now; `run(args)` later takes its report."""
    if tuple(args) not in _started:
        _started[tuple(args)] = _submit(args)


def run(args: list[str]) -> tuple[str, str, int]:
    """`mypy.api.run(args)` in the shared worker: (stdout, stderr, exit status); the report of
    the run `start` queued with the same arguments, if it did."""
    future = _started.pop(tuple(args), None) or _submit(args)
    return future.result()
