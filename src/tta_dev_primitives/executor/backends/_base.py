"""The backend seam: where the nodes marked `.remote()` run.

A remote node's step asks its backend to run a `RemoteJob`: the in-process closures of the
node's subtree (what `LocalBackend` calls, with nothing serialized) and, built once on first
need, the portable form a worker runs (see `portable`). A backend of your own (a Ray or a
process-pool one) subclasses `Backend` and implements `run`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar, cast

from ...compiler._ir import Op
from .._emit import AsyncFn
from .._hooks import NodeInfo

if TYPE_CHECKING:
    from ._portable import PlanRef, WorkerCall

__all__ = ["Backend", "LocalBackend", "RemoteJob", "current_backend", "use_backend"]


class RemoteJob:
    """What a backend gets to run one remote node: its identity, its in-process closures and,
    on first request, the pickled sub-plan a worker runs (built once per node and process)."""

    __slots__ = ("_ref", "info", "local", "op")

    def __init__(self, op: Op, info: NodeInfo, local: AsyncFn) -> None:
        self.op = op
        """The remote op; its single child is the subtree that runs on the worker."""
        self.info = info
        self.local = local
        """The subtree's closures in this process (no serialization, the caller's context)."""
        self._ref: PlanRef | None = None

    @property
    def name(self) -> str:
        """The remote node's name (as in EXPLAIN), for task keys and errors."""
        return self.info.name

    def portable(self) -> WorkerCall:
        """The call a worker runs for this invocation: the sub-plan (pickled once) with a copy
        of the running context (ids, metadata, tags, baggage, state), the trace context of the
        calling span (W3C `traceparent`) and the time left before the run's deadline.

        Raises RemoteSerializationError naming the op that cannot be pickled."""
        from ._portable import PlanRef, WorkerCall

        ref = self._ref
        if ref is None:
            ref = self._ref = PlanRef.of(self.op.children[0], self.info)
        return WorkerCall.for_current_run(ref, self.info)


class Backend:
    """Runs the jobs of remote nodes. `name` shows in EXPLAIN when a node names its backend."""

    name: ClassVar[str] = "backend"

    async def run(self, job: RemoteJob, x: object) -> object:
        """Run `job` on `x` and return its result; raise what it raised, with its type."""
        raise NotImplementedError

    def __reduce__(self) -> tuple[object, tuple[()]]:
        # A remote node nested in one that is sent to a worker runs there in-process: a
        # backend holds connections and threads, which do not travel.
        return (LocalBackend, ())


class LocalBackend(Backend):
    """The default: run the node in this process, in the caller's event loop and context, as if
    it were not marked remote (nothing is serialized)."""

    name: ClassVar[str] = "local"

    async def run(self, job: RemoteJob, x: object) -> object:
        return await job.local(x)

    def __repr__(self) -> str:
        return "LocalBackend()"


LOCAL = LocalBackend()

_backend: ContextVar[Backend] = ContextVar("tta_backend", default=LOCAL)


def current_backend() -> Backend:
    """The backend that `.remote()` nodes without one of their own run on here."""
    return _backend.get()


@contextlib.contextmanager
def use_backend(backend: Backend) -> Iterator[Backend]:
    """Within the block (and the tasks it starts), run `.remote()` nodes that name no backend
    on `backend`:

        with use_backend(DaskBackend(client)):
            await plan.run(x)
    """
    if not isinstance(cast(object, backend), Backend):  # from untyped callers
        from ...errors import ConfigError

        raise ConfigError("use_backend", "backend", "a Backend (LocalBackend(), DaskBackend(...))", backend)
    token = _backend.set(backend)
    try:
        yield backend
    finally:
        _backend.reset(token)
