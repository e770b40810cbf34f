"""DaskBackend: remote nodes run as tasks of a Dask distributed cluster (extra `dask`).

Each call of a remote node is one task running the node's WorkerCall. The calls that arrive
together (the items a map starts at once, the refills of its window as results come back,
the runs of a `plan.map`) are submitted together, in one `client.map` on the client's loop,
at most once per FLUSH_INTERVAL: the scheduler then handles one graph update per batch instead
of one per task, which is most of what a per-task `client.submit` costs beyond Dask's own
`client.map`. Each task's result is
still fetched and handed back on its own as soon as it is done (Dask joins gathers that are
in flight at once), so a call's latency, timeout and failure are its own.

The driver never blocks its event loop (asyncio or trio): it waits on an event that the
client's own loop sets when the task's `client.gather` finishes there. Dask reschedules a task
whose worker dies (KilledWorker after `distributed.scheduler.allowed-failures` deaths);
cancelling the run cancels the task on the scheduler before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import anyio

from .._wakeup import ThreadSafeEvent
from ._base import Backend, RemoteJob
from ._portable import WorkerCall, unsendable

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskBackend"]

T = TypeVar("T")

CANCEL_TIMEOUT = 5.0
"""Seconds a cancelled run waits for the scheduler to confirm the cancellation of its task."""

CANCELLED = "the run was cancelled"

FLUSH_INTERVAL = 0.01
"""Seconds between two submissions of queued calls: the interval of the client's own batched
stream to the scheduler, which holds a message sent sooner after the last one until then, so
waiting here delays no task, and every call that arrives meanwhile joins one `client.map`."""


def _distributed() -> object:
    from ...extras import require

    return require("distributed", "dask", "DaskBackend")


class DaskBackend(Backend):
    """Run remote nodes on a Dask cluster.

    `client` is a `distributed.Client` (synchronous or asynchronous; it stays yours to close) or
    a scheduler address such as `"tcp://10.0.0.5:8786"` (a client is then connected on first use
    and closed by `close()`). `retries` asks Dask to re-run a task that raised (as `submit`'s
    `retries`); `resources` (e.g. `{"GPU": 1}`) restricts tasks to workers that have them.

    Workers must be able to import the package and the modules your nodes' functions live in
    (install them on the workers, or `client.upload_file(...)`); functions of `__main__` and
    lambdas travel by value."""

    name: ClassVar[str] = "dask"

    def __init__(
        self,
        client: Client | str,
        *,
        retries: int = 0,
        resources: dict[str, float] | None = None,
        cancel_timeout: float = CANCEL_TIMEOUT,
    ) -> None:
        from ..._validate import check_int, check_positive

        distributed = _distributed()
        if not isinstance(client, (str, distributed.Client)):  # type: ignore[attr-defined]
            from ...errors import ConfigError

            raise ConfigError("DaskBackend", "client", "a distributed.Client or a scheduler address (str)", client)
        self.retries = check_int("DaskBackend", "retries", retries, minimum=0)
        self.resources = dict(resources) if resources else None
        self.cancel_timeout = check_positive("DaskBackend", "cancel_timeout", cancel_timeout)
        self._address = client if isinstance(client, str) else None
        self._client: Client | None = None if isinstance(client, str) else client
        self._lock = threading.Lock()
        self._pending: list[_Call] = []
        """Calls waiting for the next flush (see `_submit`), from any thread."""
        self._flushed_at = float("-inf")

    @property
    def client(self) -> Client:
        """The Dask client (connected on first use when given an address)."""
        client = self._client
        if client is None:
            from distributed import Client

            client = self._client = Client(self._address, set_as_default=False)  # type: ignore[no-untyped-call]
        return client

    def close(self) -> None:
        """Close the client if this backend connected it (a client you passed stays open)."""
        if self._address is not None and self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]
            self._client = None

    def __enter__(self) -> DaskBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self._address if self._address is not None else getattr(self._client, "scheduler", None)
        return f"DaskBackend({where!r})"

    async def run(self, job: RemoteJob, x: object) -> object:
        client: Any = self.client  # distributed is only partly typed
        call = _Call(job.name, job.portable(), x)
        self._submit(client, call)
        try:
            await call.done.wait()
        except BaseException:
            with self._lock:  # not submitted yet: the flush leaves it out (or cancels it, if under way)
                call.abandoned = True
                future = call.future
            if future is not None:
                if not future.done():  # the task must not run on
                    with anyio.CancelScope(shield=True), anyio.move_on_after(self.cancel_timeout):
                        await self._on_client_loop(client, client.cancel([future], asynchronous=True, reason=CANCELLED))
                future.release()
            raise
        return call.outcome()

    def _submit(self, client: Any, call: _Call) -> None:
        """Queue `call` for the next flush on the client's loop; the first call of a batch asks
        for the flush, so the calls made before it runs go in the same batch."""
        with self._lock:
            self._pending.append(call)
            first = len(self._pending) == 1
        if first:
            try:
                client.loop.add_callback(self._schedule_flush, client)
            except BaseException:  # no flush is coming (the client's loop is closed): the next call must ask again
                with self._lock:
                    self._pending.remove(call)
                raise

    def _schedule_flush(self, client: Any) -> None:
        """On the client's loop: flush now, or FLUSH_INTERVAL after the last flush if that was
        more recent (the calls arriving meanwhile join the batch)."""
        loop = asyncio.get_running_loop()
        wait = self._flushed_at + FLUSH_INTERVAL - loop.time()
        if wait > 0:
            loop.call_later(wait, self._flush, client)
        else:
            self._flush(client)

    def _flush(self, client: Any) -> None:
        """On the client's loop: submit every queued call in one `client.map`, then fetch each
        result as its task ends. A batch that cannot be sent is submitted call by call, so
        each call that does not serialize gets its own error and the others run."""
        self._flushed_at = asyncio.get_running_loop().time()
        with self._lock:
            calls = [call for call in self._pending if not call.abandoned]
            self._pending = []
        try:
            self._send(client, calls)
        except BaseException as error:  # every call taken here ends, whatever went wrong
            for call in calls:
                if call.fetching is None and not call.done.is_set():
                    call.fail(error)
            raise

    def _send(self, client: Any, calls: list[_Call]) -> None:
        """Submit `calls` in one `client.map` and start fetching each result (see `_flush`)."""
        if not calls:
            return
        options = {"pure": False, "retries": self.retries or None, "resources": self.resources}
        try:
            futures = client.map(
                _invoke, [call.worker_call for call in calls], [call.x for call in calls], key=[_key(call.name) for call in calls], **options
            )
        except Exception:  # noqa: BLE001 - Dask pickles at submit: find which calls do not pickle
            futures = [self._submit_one(client, call, options) for call in calls]
        abandoned = []
        with self._lock:  # a call given up while it was being submitted is cancelled here
            for call, future in zip(calls, futures, strict=True):
                call.future = future
                if call.abandoned and future is not None:
                    abandoned.append(future)
        if abandoned:
            asyncio.ensure_future(client.cancel(abandoned, asynchronous=True, reason=CANCELLED))
        for call in calls:
            if call.future is not None and not call.abandoned:
                call.fetching = asyncio.ensure_future(call.fetch(client))

    @staticmethod
    def _submit_one(client: Any, call: _Call, options: dict[str, Any]) -> Any:
        """`call` submitted on its own; None (and the call failed) when it cannot be sent."""
        try:
            return client.submit(_invoke, call.worker_call, call.x, key=_key(call.name), **options)
        except Exception as error:  # noqa: BLE001 - reported with the part that does not pickle
            call.fail(unsendable(call.name, call.x, call.worker_call, error), error)
            return None

    @staticmethod
    async def _on_client_loop(client: Any, coro: Coroutine[object, object, T]) -> T:
        """Await `coro` on the client's event loop (a thread of its own for a synchronous
        client), from any event loop, without blocking it."""
        loop = client.loop.asyncio_loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # trio
            running = None
        if running is loop:
            return await coro
        done = ThreadSafeEvent()
        waiting = asyncio.run_coroutine_threadsafe(coro, loop)
        waiting.add_done_callback(lambda _: done.set())
        try:
            await done.wait()
        except BaseException:
            # Not cancelled here: cancelling a gather midway makes Dask log an AllExit nobody
            # retrieves. The caller cancels the task, which ends the gather; its error is dropped.
            waiting.add_done_callback(_retrieve)  # type: ignore[arg-type]
            raise
        return waiting.result()


def _invoke(call: WorkerCall, x: object) -> object:
    """A task of a batch: one remote call, on a worker."""
    return call(x)


class _Call:
    """One call of a remote node on its way through a batch: what the driver waits on, and
    what the client's loop fills in."""

    __slots__ = ("abandoned", "done", "error", "fetching", "future", "name", "result", "worker_call", "x")

    def __init__(self, name: str, worker_call: WorkerCall, x: object) -> None:
        self.name = name
        self.worker_call = worker_call
        self.x = x
        self.done = ThreadSafeEvent()
        self.future: Any = None
        self.fetching: asyncio.Future[None] | None = None
        """The fetch under way on the client's loop (held so that it is not collected)."""
        self.abandoned = False
        self.result: object = None
        self.error: BaseException | None = None

    def fail(self, error: BaseException, cause: BaseException | None = None) -> None:
        if cause is not None:
            error.__cause__ = cause
        self.error = error
        self.done.set()

    async def fetch(self, client: Any) -> None:
        """On the client's loop: wait for the task and fetch its result (or its error)."""
        future = self.future
        try:
            self.result = await client.gather(future, asynchronous=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the driver, which raises it
            if future.status == "finished" and isinstance(exc, Exception):  # ran, but the result did not come back
                from .errors import RemoteSerializationError

                result_type = getattr(future.type, "__qualname__", str(future.type))
                self.fail(RemoteSerializationError(self.name, "output", result_type, str(exc)), exc)
                return
            self.error = exc
        self.done.set()

    def outcome(self) -> object:
        """The task's result, or what it raised; the task's data on the cluster is released."""
        future = self.future
        if future is not None:
            future.release()
        if self.error is not None:
            raise self.error
        return self.result


def _retrieve(done: concurrent.futures.Future[object]) -> None:
    if not done.cancelled():
        done.exception()


_UNSAFE = re.compile(r"[^\w.]+")


def _key(name: str) -> str:
    """A task key the dashboard groups by node: the node's name, made safe, and a unique id."""
    return f"{_UNSAFE.sub('_', name)[:60].strip('_') or 'remote'}-{uuid.uuid4().hex}"
