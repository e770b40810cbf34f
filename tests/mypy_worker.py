"""mypy's API (`mypy.api.run`), run in one worker process that every typing test shares.

mypy keeps the last build it ran in module globals (`mypy.modules_state`): millions of objects
(4 million after the docs' blocks). Run in the test process, they would stay there for the rest
of the session, and every full garbage collection after them, the explicit ones in the leak and
stress tests included, would walk them all: seconds each. In a worker they cost the session
nothing, and the reports are the same: it is the same call, with the same arguments.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from mypy import api

_worker: ProcessPoolExecutor | None = None


def run(args: list[str]) -> tuple[str, str, int]:
    """`mypy.api.run(args)` in the shared worker: (stdout, stderr, exit status)."""
    global _worker
    if _worker is None:
        # spawn, not fork: a fork would copy this process's threads and event-loop state
        _worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_worker.shutdown)
    return _worker.submit(api.run, args).result()
