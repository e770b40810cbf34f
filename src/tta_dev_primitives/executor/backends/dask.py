"""DaskBackend: remote nodes run as tasks of a Dask distributed cluster (extra `dask`).

Each call of a remote node is one `client.submit` of the node's WorkerCall. The driver never
blocks its event loop (asyncio or trio): it waits on an event that the client's own loop sets
when `client.gather` finishes there. Dask reschedules a task whose worker dies (KilledWorker
after `distributed.scheduler.allowed-failures` deaths); cancelling the run cancels the task on
the scheduler before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import anyio

from .._wakeup import ThreadSafeEvent
from ._base import Backend, RemoteJob
from ._portable import unsendable

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskBackend"]

T = TypeVar("T")

CANCEL_TIMEOUT = 5.0
"""Seconds a cancelled run waits for the scheduler to confirm the cancellation of its task."""


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
        call = job.portable()
        try:
            future = client.submit(
                call, x, key=_key(job.name), pure=False, retries=self.retries or None, resources=self.resources
            )
        except Exception as error:  # noqa: BLE001 - Dask pickles at submit: report what does not pickle
            raise unsendable(job.name, x, call, error) from error
        try:
            result = await self._on_client_loop(client, client.gather(future, asynchronous=True))
        except BaseException as exc:
            if not future.done():  # cancelled (or the client failed): the task must not run on
                with anyio.CancelScope(shield=True), anyio.move_on_after(self.cancel_timeout):
                    await self._on_client_loop(client, client.cancel([future], asynchronous=True, reason="the run was cancelled"))
                raise
            if future.status == "finished" and isinstance(exc, Exception):  # ran, but the result did not come back
                from .errors import RemoteSerializationError

                result_type = getattr(future.type, "__qualname__", str(future.type))
                raise RemoteSerializationError(job.name, "output", result_type, str(exc)) from exc
            raise
        finally:
            future.release()
        return result

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


def _retrieve(done: concurrent.futures.Future[object]) -> None:
    if not done.cancelled():
        done.exception()


_UNSAFE = re.compile(r"[^\w.]+")


def _key(name: str) -> str:
    """A task key the dashboard groups by node: the node's name, made safe, and a unique id."""
    return f"{_UNSAFE.sub('_', name)[:60].strip('_') or 'remote'}-{uuid.uuid4().hex}"
