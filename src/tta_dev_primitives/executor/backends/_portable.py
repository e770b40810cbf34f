"""What travels to a worker, and how a worker runs it.

A remote node's subtree is pickled once per process (with cloudpickle, so lambdas and
functions of `__main__` travel by value; functions of importable modules travel by reference
and must be importable on the workers). Each call sends that blob, a copy of the running
context and the time left; the worker unpickles a blob once (an LRU of plans per process),
runs the sub-plan with `plan.run` on an event loop of its thread, and sends back the result or
the error, itself when it pickles and unpickles, otherwise a RemoteError that keeps its class
name, message and traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import socket
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Coroutine

import attrs

from ...compiler._ir import Op, walk
from ...compiler._program import Program
from ...context import RunContext, _current
from .._hooks import NodeInfo
from .._runner import Executable, build_executable
from .errors import RemoteError, RemoteSerializationError


__all__ = ["PlanRef", "WorkerCall", "portable_context", "unsendable"]

PLANS_PER_PROCESS = 256
"""How many unpickled sub-plans a worker process keeps (least recently used go first)."""

_plans: OrderedDict[str, SubPlan] = OrderedDict()
_plans_lock = threading.Lock()


def _cloudpickle() -> object:
    from ...extras import require

    return require("cloudpickle", "dask", "a remote node")


def _type_name(value: object) -> str:
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class SubPlan:
    """A remote node's subtree as a worker runs it: its closures, built again when the hooks
    installed in the worker process change."""

    __slots__ = ("_exe", "program")

    def __init__(self, program: Program[object, object]) -> None:
        self.program = program
        self._exe: Executable | None = None

    def run(self, x: object, context: RunContext, timeout: float | None) -> Coroutine[object, object, object]:
        """A run of the subtree on `x` (as `Plan.run` would start it)."""
        exe = self._exe
        if exe is None or exe.version != exe.registry.version:
            exe = self._exe = build_executable(self.program)
        return exe.run(x, context, timeout)


class PlanRef:
    """A remote node's subtree as a pickled blob, and its sub-plan once unpickled (per process)."""

    __slots__ = ("_plan", "blob", "digest", "name")

    def __init__(self, digest: str, blob: bytes, name: str) -> None:
        self.digest = digest
        self.blob = blob
        self.name = name
        self._plan: SubPlan | None = None

    @classmethod
    def of(cls, op: Op, info: NodeInfo) -> PlanRef:
        """Pickle `op`'s subtree; RemoteSerializationError names the first op that cannot be."""
        cloudpickle = _cloudpickle()
        try:
            blob: bytes = cloudpickle.dumps(op)  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - any pickling failure is reported the same way
            culprit, reason = _unpicklable_op(op, error)
            raise RemoteSerializationError(
                info.name, f"op {culprit.name!r} ({culprit.primitive_type}, built at {culprit.location})", _type_name(culprit), reason
            ) from error
        return cls(hashlib.blake2b(blob, digest_size=16).hexdigest(), blob, info.name)

    def plan(self) -> SubPlan:
        """The sub-plan, unpickled once per process."""
        plan = self._plan
        if plan is not None:
            return plan
        with _plans_lock:
            plan = _plans.get(self.digest)
            if plan is not None:
                _plans.move_to_end(self.digest)
        if plan is None:
            root: Op = pickle.loads(self.blob)  # noqa: S301 - the same trust as the engine's own task pickles
            plan = SubPlan(Program(root, name=self.name, passes=(), edges=()))
            with _plans_lock:
                _plans[self.digest] = plan
                while len(_plans) > PLANS_PER_PROCESS:
                    _plans.popitem(last=False)
        self._plan = plan
        return plan

    def __reduce__(self) -> tuple[object, tuple[str, bytes, str]]:
        return (PlanRef, (self.digest, self.blob, self.name))


def _unpicklable_op(root: Op, error: Exception) -> tuple[Op, str]:
    """The first op of `root`'s subtree that cannot be pickled on its own, and why."""
    cloudpickle = _cloudpickle()
    for op in walk(root):
        try:
            cloudpickle.dumps(attrs.evolve(op, children=()))  # type: ignore[attr-defined]
        except Exception as reason:  # noqa: BLE001
            return op, f"{reason} (state that lives in this process, such as a lock, cannot be sent: build it around the .remote() node)"
    return root, str(error)


class WorkerCall:
    """One call of a remote node, as a worker runs it: `call(x)` runs the sub-plan on `x`."""

    __slots__ = ("context", "name", "ref", "timeout")

    def __init__(self, ref: PlanRef, name: str, context: RunContext, timeout: float | None) -> None:
        self.ref = ref
        self.name = name
        self.context = context
        self.timeout = timeout

    @classmethod
    def for_current_run(cls, ref: PlanRef, info: NodeInfo) -> WorkerCall:
        """The call for `ref` in the run in progress: a copy of its context and the time it has left
        (at least 1 ms, so a nearly expired run times out on the worker, not before it is sent)."""
        ctx = _current.get(None)
        remaining = None if ctx is None else ctx.remaining()
        if remaining is not None:
            remaining = max(remaining, 1e-3)  # nearly out of time: the worker's run times out at once
        return cls(ref, info.name, portable_context(ctx), remaining)

    def __reduce__(self) -> tuple[object, tuple[PlanRef, str, RunContext, float | None]]:
        return (WorkerCall, (self.ref, self.name, self.context, self.timeout))

    def __call__(self, x: object) -> object:
        plan = self.ref.plan()
        try:
            return _run(plan.run(x, self.context, self.timeout))
        except Exception as exc:
            raise sendable(exc, self.name) from None


class _ThreadLoop:
    """An event loop kept by one worker thread across remote calls (a new loop per call would
    cost more than most nodes), closed with the thread's locals when the thread ends."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        if not self.loop.is_running():
            self.loop.close()


_threads = threading.local()


def _run(coro: Coroutine[object, object, object]) -> object:
    """Run `coro` to its end on this thread's kept loop."""
    kept: _ThreadLoop | None = getattr(_threads, "loop", None)
    if kept is None:
        kept = _threads.loop = _ThreadLoop()
    return kept.loop.run_until_complete(coro)


def portable_context(ctx: RunContext | None) -> RunContext:
    """A copy of `ctx` for a worker: the same ids, copies of metadata, state, tags and baggage,
    and the calling span as `metadata["traceparent"]`; no deadline (a loop's clock does not
    travel: the time left goes as the worker run's timeout)."""
    metadata: dict[str, object] | None = None
    if ctx is None:
        copy = RunContext()
    else:
        metadata = dict(ctx._metadata) if ctx._metadata else None
        copy = RunContext(
            correlation_id=ctx.correlation_id,
            workflow_id=ctx.workflow_id,
            session_id=ctx.session_id,
            player_id=ctx.player_id,
            state=dict(ctx._state) if ctx._state else None,
        )
        if ctx._extra:  # tags and the start time too
            copy._extra = {key: (list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value) for key, value in ctx._extra.items()}
    traceparent = _traceparent()
    if traceparent is not None:
        metadata = {**(metadata or {}), "traceparent": traceparent}
    copy._metadata = metadata
    return copy


def _traceparent() -> str | None:
    """The current span as W3C `traceparent`, when OpenTelemetry is in use in this process
    (its own propagator: the executor needs no tracing hook for it)."""
    if "opentelemetry.trace" not in sys.modules:  # no span can be current
        return None
    try:
        from opentelemetry.propagate import inject
    except ImportError:  # the API without its propagators: nothing to send
        return None
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def worker_address() -> str:
    """Where this code runs: the Dask worker's address, else host and process id."""
    if "distributed" in sys.modules:
        try:
            from distributed import get_worker

            return str(get_worker().address)
        except ValueError:  # not inside a worker
            pass
    return f"{socket.gethostname()} pid {os.getpid()}"


def sendable(exc: Exception, node: str) -> Exception:
    """`exc` noted with the worker it was raised on, if it survives a pickle round trip (it then
    reaches the caller with its own class); else a RemoteError that keeps it as text."""
    where = worker_address()
    exc.add_note(f"raised on worker {where}")
    cloudpickle = _cloudpickle()
    try:
        pickle.loads(cloudpickle.dumps(exc))  # type: ignore[attr-defined]  # noqa: S301 - our own bytes
        return exc
    except Exception as error:  # noqa: BLE001 - whatever stops the round trip
        reason = f"{type(error).__name__}: {error}"
    text = "".join(traceback.format_exception(exc))
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error
        message = f"<{type(exc).__name__} with a failing str>"
    return RemoteError(node, _type_name(exc), message, text, where, reason)


def unsendable(node: str, x: object, call: WorkerCall, error: Exception) -> RemoteSerializationError:
    """The error for a call that could not be sent: which part (the input or the context's
    metadata or state) does not pickle, found by trying each."""
    cloudpickle = _cloudpickle()
    for what, value in (("input", x), ("context", call.context)):
        try:
            cloudpickle.dumps(value)  # type: ignore[attr-defined]
        except Exception as reason:  # noqa: BLE001
            return RemoteSerializationError(node, what, _type_name(value), str(reason))
    return RemoteSerializationError(node, "call", _type_name(x), str(error))
