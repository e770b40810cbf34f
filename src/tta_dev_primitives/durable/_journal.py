"""The Journal protocol: where durable runs keep their runs and their recorded steps.

A store keeps, per run id, a header (plan name, fingerprint, outline, encoded input), a status
and the recorded steps in the order they were acknowledged. Payloads are opaque bytes, each
with the checksum the durable layer computed; the layer verifies them when it reads a run, so
a store of your own gets corruption checks for free. `ThreadedJournal` turns a store written
with blocking calls (sqlite3, psycopg) into this protocol by running each call in a worker
thread, one at a time, which works on asyncio and on trio alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import queue
import socket
import threading
import time
import typing
import weakref
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol, TypeVar, runtime_checkable

from typing_extensions import Self

import anyio
import attrs

from ..executor._shield import running_asyncio
from .errors import DurableRunError, JournalUnavailableError, RunInProgressError

__all__ = ["RUN_COLUMNS", "STEP_COLUMNS", "Journal", "MemoryJournal", "RunHeader", "RunStatus", "StoredRun", "StoredStep", "ThreadedJournal", "checksum", "stored_run"]

RunStatus = Literal["running", "interrupted", "done", "failed"]
R = TypeVar("R")


def checksum(key: str, payload: bytes) -> int:
    """CRC-32 of a step's key and payload: a truncated, altered or misplaced row fails it."""
    return zlib.crc32(payload, zlib.crc32(key.encode("utf-8", "surrogatepass") + b"\0"))


@attrs.frozen
class RunHeader:
    """What identifies a durable run: the plan that runs it and its encoded input."""

    run_id: str
    plan: str
    fingerprint: str
    outline: str
    """The plan's structure, one op per line (to say what changed when a plan no longer fits)."""
    input: bytes
    input_crc: int
    code: str = ""
    """Digests of the plan's leaf functions (see durable._code); "" when the store keeps none."""


@attrs.frozen
class StoredStep:
    """One acknowledged record: `seq` orders a run's records as they were written."""

    seq: int
    key: str
    payload: bytes
    crc: int


@attrs.frozen
class StoredRun:
    """A durable run as its journal holds it: header, status, result or error, and its steps."""

    header: RunHeader
    status: RunStatus
    result: bytes | None = None
    result_crc: int | None = None
    error: str | None = None
    steps: tuple[StoredStep, ...] = ()


@runtime_checkable
class Journal(Protocol):
    """A store for durable runs (see SQLiteJournal, PostgresJournal, MemoryJournal)."""

    async def open_run(self, header: RunHeader) -> StoredRun:
        """Create the run (status "running") or return it as stored, and claim it for this
        run: RunInProgressError while another live run holds it (through any journal object
        on the same store). A cancelled open must leave no claim behind."""
        ...

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        """Record one step durably; return only once it is acknowledged (committed). The call
        may be cancelled (the run's deadline, its caller): the write's outcome is then unknown,
        and a resumed run replays the step if it landed, else runs it again."""
        ...

    async def close_run(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        """Set the run's status (and result or error) and release the claim."""
        ...

    async def load(self, run_id: str) -> StoredRun | None:
        """The run as stored, without claiming it; None for an unknown run id."""
        ...

    async def delete(self, run_id: str) -> None:
        """Forget the run and its steps."""
        ...


RUN_COLUMNS = "plan, fingerprint, outline, input, input_crc, status, result, result_crc, error, code"
"""The columns of a run row that `stored_run` reads, in its order (SQL stores select them)."""
STEP_COLUMNS = "seq, key, payload, crc"
"""The columns of a step row that `stored_run` reads, in its order."""


def _blob(value: object) -> bytes:
    """A payload column as bytes (drivers return bytes, memoryview or bytearray)."""
    return bytes(typing.cast(bytes, value))


def _int(value: object) -> int:
    return int(typing.cast(int, value))


def stored_run(run_id: str, run: Sequence[object], steps: Iterable[Sequence[object]]) -> StoredRun:
    """A StoredRun from a row of RUN_COLUMNS and rows of STEP_COLUMNS, as an SQL driver
    returns them."""
    plan, fingerprint, outline, input_, input_crc, status, result, result_crc, error, code = run
    return StoredRun(
        RunHeader(run_id, str(plan), str(fingerprint), str(outline), _blob(input_), _int(input_crc), "" if code is None else str(code)),
        typing.cast("RunStatus", status),
        None if result is None else _blob(result),
        None if result_crc is None else _int(result_crc),
        None if error is None else str(error),
        tuple(StoredStep(_int(seq), str(key), _blob(payload), _int(crc)) for seq, key, payload, crc in steps),
    )


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(6).hex()}"


_PROCESS = _this_process()
"""This process, as the prefix of the owner recorded on each run it claims."""

_live_owners: set[str] = set()
"""The owners of the claims held in this process now, whichever journal object took them (two
SQLiteJournal objects on one file share the database, so they must share this too)."""
_owners_lock = threading.Lock()
_claims = itertools.count(1)
_journals: weakref.WeakSet[ThreadedJournal] = weakref.WeakSet()
"""Every ThreadedJournal of this process, for a forked child to reset (see `_forked`)."""


def _forked() -> None:
    """In a forked child (a prefork server's worker, multiprocessing): it is another process, so
    another owner, holding none of its parent's claims; the journals it inherited have no worker
    thread (threads do not survive a fork) and must not use the parent's connections."""
    global _PROCESS, _owners_lock
    _PROCESS = _this_process()
    _owners_lock = threading.Lock()
    _live_owners.clear()
    for journal in list(_journals):
        journal._after_fork()


os.register_at_fork(after_in_child=_forked)


def owner_alive(owner: str | None) -> bool:
    """Whether the run that recorded `owner` may still be running: in this process, while its
    claim is held; on this host, while its process lives; on another host, always (a run
    claimed elsewhere is never taken over silently)."""
    if owner is None:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _live_owners  # another token with our pid: an earlier process, gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


CLOSE_WAIT = 1.0
"""Seconds `close()` waits for the calls still queued (a healthy store's take milliseconds)."""

CANCEL_GRACE = 0.25
"""Seconds a cancelled or timed-out call still waits for its store to answer, so that a healthy
store's write is known to have landed (or not) when the caller gives up."""


class _Worker:
    """One daemon thread running a journal's blocking calls in order. A daemon, so that a call
    stuck on a store that stopped answering never keeps the process from exiting."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[object], Callable[..., object], tuple[object, ...]] | None]
        self._queue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., R], *args: object) -> concurrent.futures.Future[R]:
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        self._queue.put((typing.cast("concurrent.futures.Future[object]", future), fn, args))
        return future

    def _serve(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue  # given up on before it started: it never runs
            try:
                future.set_result(fn(*args))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                future.set_exception(error)

    def stop(self, wait: float) -> None:
        """Stop after the calls already queued, waiting at most `wait` seconds for them."""
        self._queue.put(None)
        if threading.current_thread() is not self.thread:
            self.thread.join(wait)


async def _done(future: concurrent.futures.Future[R]) -> None:
    """Wait until `future` is done; cancelling the wait never cancels the call."""
    if running_asyncio():
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not waiter.done():
                waiter.set_result(None)

        def wake(_: object) -> None:
            try:
                loop.call_soon_threadsafe(resolve)
            except RuntimeError:  # the loop has closed: nobody waits any more
                pass

        future.add_done_callback(wake)
        await asyncio.wait((waiter,))
        return
    import trio

    event = trio.Event()
    token = trio.lowlevel.current_trio_token()

    def wake_trio(_: object) -> None:
        try:
            token.run_sync_soon(event.set)
        except trio.RunFinishedError:
            pass

    future.add_done_callback(wake_trio)
    await event.wait()


class ThreadedJournal(Journal):
    """Base of the journals that talk to their store with blocking calls: each call runs in the
    journal's own worker thread, one at a time, which works on asyncio and on trio alike.

    Every call is bounded: by the run's deadline (its `timeout`, its context's deadline), by a
    cancellation of the caller, and by the journal's own `timeout`, so a store that stops
    answering never holds a run past them. A caller that gives up waits `CANCEL_GRACE` seconds
    more for the call to end. Writes (steps, a run's status) are never dropped: they stay
    queued, in order, and land once the store answers, so whether a step was recorded is
    unknown to a caller that gave up: a resumed run replays it if it landed, else runs it
    again. A read or an open that never started is dropped; an open that may have claimed the
    run has its claim released once the store answers. Claims held in this process are
    tracked here, shared by every journal object."""

    timeout: float = 30.0
    """Seconds one call to the store may take before the run gives up on it
    (JournalUnavailableError)."""

    def __init__(self, *, timeout: float = 30.0) -> None:
        from .._validate import check_positive

        self._lock = threading.Lock()
        """Held by the worker while a call runs (and by close()): one call at a time."""
        self._worker_lock = threading.Lock()
        self._claims: dict[str, str] = {}
        """Run id -> the owner token this journal object claimed it with."""
        self._worker: _Worker | None = None
        self._deadline = float("inf")
        """While a call runs in the worker: the monotonic time by which its caller gives up."""
        self._opening: str | None = None
        """While an open runs in the worker: the owner token it claims the run with."""
        self.timeout = check_positive(type(self).__name__, "timeout", timeout)
        _journals.add(self)

    def _after_fork(self) -> None:
        """Reset what a forked child cannot use: the worker, the lock it may have held, the
        parent's claims; a store drops its connection (without closing the parent's)."""
        self._lock, self._worker_lock = threading.Lock(), threading.Lock()
        self._worker = None
        self._claims = {}
        self._disconnect(close=False)

    async def _call(self, fn: Callable[..., R], *args: object, on_abandon: Callable[[], object] | None = None, keep: bool = False) -> R:
        """Run `fn(*args)` in the worker and wait for it, within the bounds described on the
        class. When the caller gives up before the call ended: a call not yet started is
        dropped (unless `keep`: it still runs, later), and `on_abandon` is queued after it."""
        remaining = anyio.current_effective_deadline() - anyio.current_time()
        deadline = time.monotonic() + max(min(self.timeout, remaining), 0.0)
        future: concurrent.futures.Future[R] = self._executor().submit(self._bounded, deadline, fn, *args)
        with anyio.move_on_after(self.timeout) as timed:
            try:
                await _done(future)
            except BaseException:  # the run's deadline, a cancellation, or this timeout
                await self._grace(future, keep)
                if not timed.cancel_called:  # the caller is cancelled: whatever the call did is given up
                    self._abandon_call(future, on_abandon)
                    raise
                raise  # this timeout: the call may still have answered within the grace (below)
        if future.done() and not future.cancelled():
            return future.result()  # answered, perhaps within the grace after this timeout
        self._abandon_call(future, on_abandon)
        what = getattr(fn, "__name__", "call").lstrip("_")
        raise JournalUnavailableError(
            f"{self!r}: {what} did not answer within {self.timeout:g}s (the journal's timeout): the store hangs or is "
            "unreachable; a write in flight may or may not have landed"
        )

    async def _grace(self, future: concurrent.futures.Future[R], keep: bool) -> None:
        """A caller giving up: drop the call if it never started (unless `keep`), else wait
        `CANCEL_GRACE` more for it to end."""
        if not keep and future.cancel():
            return  # it never started: nothing happened
        with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_GRACE):
            try:
                await _done(future)
            except BaseException:  # noqa: BLE001 - a native asyncio cancel ends the grace early
                pass

    def _abandon_call(self, future: concurrent.futures.Future[R], on_abandon: Callable[[], object] | None) -> None:
        """Queue `on_abandon` (undo what the call may have done) after a call its caller gave up
        on, unless it never ran or failed."""
        if on_abandon is not None and not future.cancelled() and not (future.done() and future.exception() is not None):
            self._executor().submit(self._bounded, float("inf"), on_abandon)  # once the store answers

    def _executor(self) -> _Worker:
        worker = self._worker
        if worker is None:
            with self._worker_lock:  # not self._lock: a call stuck in a hung store holds that one
                worker = self._worker
                if worker is None:
                    worker = self._worker = _Worker(f"tta-{type(self).__name__}")
        return worker

    def _bounded(self, deadline: float, fn: Callable[..., R], *args: object) -> R:
        with self._lock:
            self._deadline = deadline
            try:
                return fn(*args)
            finally:
                self._deadline = float("inf")

    def _claim(self, run_id: str, stored_owner: str | None) -> str:
        """Refuse a run that a live run holds (here or in another process); else take it and
        return the owner token to record (the one `open_run` made for this open)."""
        alive = owner_alive(stored_owner)
        if alive and not (stored_owner or "").startswith(f"{_PROCESS}:"):
            raise RunInProgressError(f"run {run_id!r} is held by a live process ({stored_owner}); resume it once that run ends")
        if alive or run_id in self._claims:  # a live claim of this process, through any journal object
            raise RunInProgressError(f"run {run_id!r} is already running in this process; resume it once that run ends")
        owner = self._opening or f"{_PROCESS}:{next(_claims)}"
        with _owners_lock:
            _live_owners.add(owner)
        self._claims[run_id] = owner
        return owner

    def _release(self, run_id: str) -> None:
        owner = self._claims.pop(run_id, None)
        if owner is not None:
            with _owners_lock:
                _live_owners.discard(owner)

    # -- the Journal protocol, on the blocking methods a store defines -------------------------

    async def open_run(self, header: RunHeader) -> StoredRun:
        owner = f"{_PROCESS}:{next(_claims)}"  # this open's own token: giving it up releases this claim only
        return await self._call(self._open_as, owner, header, on_abandon=lambda: self._give_back(header.run_id, owner))

    def _open_as(self, owner: str, header: RunHeader) -> StoredRun:
        self._opening = owner
        try:
            return self._open(header)
        finally:
            self._opening = None

    def _give_back(self, run_id: str, owner: str) -> None:
        if self._claims.get(run_id) == owner:  # the claim this open took, not another run's of the same id
            self._abandon(run_id)

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        await self._call(self._append, run_id, key, payload, crc, keep=True)  # its node completed: record it even if nobody waits

    async def close_run(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        await self._call(self._close, run_id, status, result, result_crc, error, keep=True)

    async def load(self, run_id: str) -> StoredRun | None:
        return await self._call(self._load, run_id)

    async def delete(self, run_id: str) -> None:
        await self._call(self._delete, run_id)

    def _open(self, header: RunHeader) -> StoredRun:
        raise NotImplementedError

    def _append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        raise NotImplementedError

    def _close(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        raise NotImplementedError

    def _abandon(self, run_id: str) -> None:
        """Give back the claim of an open whose caller gave up (its store keeps the run's status)."""
        self._release(run_id)

    def _load(self, run_id: str) -> StoredRun | None:
        raise NotImplementedError

    def _delete(self, run_id: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the store's connection (a later call opens it again). Calls still queued get
        `CLOSE_WAIT` seconds; a call stuck in a store that does not answer keeps its connection,
        in its daemon thread, and close() returns."""
        if self._stop_worker() and self._lock.acquire(timeout=CLOSE_WAIT):
            try:
                self._disconnect(close=True)
            finally:
                self._lock.release()
        else:
            self._disconnect(close=False)

    def _disconnect(self, *, close: bool) -> None:
        """Drop the store's connection, closing it when `close` (else another thread still has it)."""

    def _stop_worker(self) -> bool:
        """Stop the worker after the calls queued; False when it is still busy after a short
        wait (a call stuck in a store that does not answer: the worker keeps the connection)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return True
        worker.stop(CLOSE_WAIT)
        return not worker.thread.is_alive()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()  # a journal dropped without close() must not leak its connection
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass


class MemoryJournal(ThreadedJournal):
    """Runs kept in this process's memory: for tests, and for interrupts answered before the
    process ends. Calls run inline (no thread)."""

    def __init__(self) -> None:
        super().__init__()
        self._runs: dict[str, StoredRun] = {}
        self._steps: dict[str, list[StoredStep]] = {}
        self._keys: dict[str, set[str]] = {}
        self._seq = 0

    async def open_run(self, header: RunHeader) -> StoredRun:
        stored = self._runs.get(header.run_id)
        self._claim(header.run_id, None)
        if stored is None:
            stored = self._runs[header.run_id] = StoredRun(header, "running")
            self._steps[header.run_id] = []
            self._keys[header.run_id] = set()
        return attrs.evolve(stored, steps=tuple(self._steps[header.run_id]))

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        keys = self._keys[run_id]
        if key in keys:
            raise DurableRunError(f"run {run_id!r}: step {key!r} is already recorded")
        keys.add(key)
        self._seq += 1
        self._steps[run_id].append(StoredStep(self._seq, key, bytes(payload), crc))

    async def close_run(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        self._runs[run_id] = attrs.evolve(self._runs[run_id], status=status, result=result, result_crc=result_crc, error=error)
        self._release(run_id)

    async def load(self, run_id: str) -> StoredRun | None:
        stored = self._runs.get(run_id)
        return None if stored is None else attrs.evolve(stored, steps=tuple(self._steps[run_id]))

    async def delete(self, run_id: str) -> None:
        self._runs.pop(run_id, None)
        self._steps.pop(run_id, None)
        self._keys.pop(run_id, None)
