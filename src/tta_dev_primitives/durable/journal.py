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
import os
import socket
import threading
import typing
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol, TypeVar, runtime_checkable

from typing_extensions import Self

import anyio
import attrs

from .errors import DurableRunError, RunInProgressError

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
        run: RunInProgressError while another live run holds it."""
        ...

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        """Record one step durably; return only once it is acknowledged (committed). A write
        that has started must finish even if the caller is cancelled meanwhile: the node it
        records has completed."""
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


RUN_COLUMNS = "plan, fingerprint, outline, input, input_crc, status, result, result_crc, error"
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
    plan, fingerprint, outline, input_, input_crc, status, result, result_crc, error = run
    return StoredRun(
        RunHeader(run_id, str(plan), str(fingerprint), str(outline), _blob(input_), _int(input_crc)),
        typing.cast("RunStatus", status),
        None if result is None else _blob(result),
        None if result_crc is None else _int(result_crc),
        None if error is None else str(error),
        tuple(StoredStep(_int(seq), str(key), _blob(payload), _int(crc)) for seq, key, payload, crc in steps),
    )


_OWNER = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(6).hex()}"
"""This process, as the owner recorded on the runs it claims."""


def owner_alive(owner: str | None) -> bool:
    """Whether the process that recorded `owner` may still be running (unknown hosts count as
    alive: a run claimed elsewhere is never taken over silently)."""
    if owner is None:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, token = rest.partition(":")
    if owner == _OWNER:
        return False  # ours, and not claimed in this process (see ThreadedJournal._claimed)
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this pid, another token: an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ThreadedJournal(Journal):
    """Base of the journals that talk to their store with blocking calls: each call runs in the
    journal's own worker thread, one at a time, and its caller waits for it even when cancelled
    (a call takes milliseconds; a cancellation is re-raised once it has landed), so a write is
    never half-known. Runs claimed in this process are tracked here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed: set[str] = set()
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self.owner = _OWNER

    async def _call(self, fn: Callable[..., R], *args: object) -> R:
        if asyncio._get_running_loop() is not None:
            if self._worker is None:
                with self._lock:
                    if self._worker is None:
                        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"tta-{type(self).__name__}")
            future = asyncio.get_running_loop().run_in_executor(self._worker, self._locked, fn, *args)
            cancelled: BaseException | None = None
            with anyio.CancelScope(shield=True):  # anyio does not re-deliver its cancellation meanwhile
                while not future.done():
                    try:
                        await asyncio.wait((future,))  # unlike awaiting it, never cancels the call
                    except asyncio.CancelledError as exc:  # a native cancel: finish the call first
                        cancelled = exc
            if cancelled is not None:
                future.exception()  # retrieved: the cancellation is what the caller gets
                raise cancelled
            return future.result()
        with anyio.CancelScope(shield=True):  # trio: cancellation only comes through scopes
            result = await anyio.to_thread.run_sync(self._locked, fn, *args)
        return result

    def _locked(self, fn: Callable[..., R], *args: object) -> R:
        with self._lock:
            return fn(*args)

    def _claim(self, run_id: str, stored_owner: str | None) -> None:
        """Refuse a run that a live run holds (here or in another process); else take it."""
        if run_id in self._claimed:
            raise RunInProgressError(f"run {run_id!r} is already running in this process")
        if stored_owner is not None and owner_alive(stored_owner):
            raise RunInProgressError(f"run {run_id!r} is held by a live process ({stored_owner}); resume it once that run ends")
        self._claimed.add(run_id)

    def _release(self, run_id: str) -> None:
        self._claimed.discard(run_id)

    # -- the Journal protocol, on the blocking methods a store defines -------------------------

    async def open_run(self, header: RunHeader) -> StoredRun:
        return await self._call(self._open, header)

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        await self._call(self._append, run_id, key, payload, crc)

    async def close_run(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        await self._call(self._close, run_id, status, result, result_crc, error)

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

    def _load(self, run_id: str) -> StoredRun | None:
        raise NotImplementedError

    def _delete(self, run_id: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the store's connection (a later call opens it again)."""

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:  # waits for calls in flight, unless called from the worker itself (a finalizer)
            worker.shutdown(wait=not threading.current_thread().name.startswith("tta-"))

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
