"""A bounded buffer between one producing task and one consuming task (`plan.stream()` and
`plan.events()`).

anyio's memory object stream does the same job portably, but creating one and its events costs
some 30-60 us on asyncio (generic aliases, per-call backend lookups), more than the rest of a
`plan.stream()` set-up. This one keeps a deque and the tasks waiting on either side, each on
an asyncio future on asyncio or a trio Event on trio (both cancellable, which is all
structured cancellation needs of a wait). Its errors are anyio's (`WouldBlock`, `EndOfStream`, `ClosedResourceError`), so
code written against a memory stream reads the same.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sized
from typing import Generic, Protocol, TypeVar

import anyio
from anyio.lowlevel import checkpoint_if_cancelled

from ._shield import running_asyncio

__all__ = ["Channel"]

T = TypeVar("T")

CHECK_EVERY = 8
"""How often a side's waits first take a pending cancellation (see Channel)."""


class _Waiter(Protocol):
    def set(self) -> None: ...

    def wait(self) -> Awaitable[object]: ...


class _FutureWaiter:
    """An asyncio future as a one-shot event (cheaper than asyncio.Event)."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def set(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    def wait(self) -> Awaitable[object]:
        return self._future


def _waiter_factory(asyncio_loop: bool | None) -> Callable[[], _Waiter]:
    if asyncio_loop if asyncio_loop is not None else running_asyncio():
        return _FutureWaiter
    import trio

    return trio.Event


class Channel(Generic[T]):
    """At most `capacity` items waiting for the reader; then `send` waits for room (backpressure).

    The writer `close()`s it when it has no more items (the reader gets `EndOfStream` after the
    buffer), the reader `abandon()`s it when it stops reading (writers get
    `ClosedResourceError`). Writers that cannot wait (hooks) `force` an item in past the
    capacity and later `wait_for_room`; any number of tasks may wait on either side. Made
    inside a running event loop, used from that loop only; `asyncio_loop` says which loop when
    the caller knows already (else it is found out).

    Each side's first wait, and every `CHECK_EVERY`th after it, first takes a pending anyio
    cancellation: anyio on asyncio does not cancel a task whose waiter is already done (the task
    is about to run), and when the other side always completes the waiter before anyio looks, as
    a fast producer does, a reader inside `move_on_after` would otherwise read forever. A wait
    the other side does not complete at once is cancelled by anyio directly, so the check is
    only for that ping-pong, and a few waits of delay are microseconds there; checking at every
    wait made it some 40% of `plan.stream()`'s cost per chunk on a fast stream.
    """

    __slots__ = (
        "_abandoned", "_capacity", "_closed", "_items", "_new_waiter", "_read_waits", "_readers", "_write_waits", "_writers",
    )

    def __init__(self, capacity: int, *, asyncio_loop: bool | None = None) -> None:
        self._items: deque[T] = deque()
        self._capacity = capacity
        self._closed = False
        self._abandoned = False
        self._readers: list[_Waiter] = []
        self._writers: list[_Waiter] = []
        self._new_waiter = _waiter_factory(asyncio_loop)
        self._read_waits = 0
        self._write_waits = 0

    @property
    def buffered(self) -> Sized:
        """The items waiting for the reader, live (its `len` is how many): for a writer that
        checks the backlog at every event, without a call per check."""
        return self._items

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def full(self) -> bool:
        """Whether the buffer holds `capacity` items or more (writers should wait)."""
        return len(self._items) >= self._capacity and not (self._abandoned or self._closed)

    # -- the writer's side ------------------------------------------------------------------

    def send_nowait(self, item: T) -> None:
        """Put `item` in the buffer; `WouldBlock` when it is full. The per-chunk path of
        `plan.stream()`: `full` and `force` inlined, one call per chunk."""
        items = self._items
        if self._abandoned or self._closed:
            raise anyio.ClosedResourceError
        if len(items) >= self._capacity:
            raise anyio.WouldBlock
        items.append(item)
        if self._readers:
            _wake(self._readers)

    def force(self, item: T) -> None:
        """Put `item` in the buffer even when it is full (for writers that cannot wait; they
        `wait_for_room` later, which keeps the buffer bounded by what they add meanwhile)."""
        if self._abandoned or self._closed:
            raise anyio.ClosedResourceError
        self._items.append(item)
        if self._readers:
            _wake(self._readers)

    def offer(self, item: T) -> None:
        """`force`, but an item for a reader that is gone (or after `close`) is dropped, not an
        error: for hooks that report as the run goes and cannot fail it (the events channel)."""
        if self._abandoned or self._closed:
            return
        self._items.append(item)
        if self._readers:
            _wake(self._readers)

    async def wait_for_room(self) -> None:
        """Wait while the buffer is full (returns at once when the reader is gone)."""
        while self.full:
            self._write_waits += 1
            await self._wait(self._writers, self._write_waits)

    async def send(self, item: T) -> None:
        """Put `item` in the buffer, waiting for room while it is full."""
        await self.wait_for_room()
        self.force(item)

    def close(self) -> None:
        """No more items: the reader gets `EndOfStream` once it has read the buffer."""
        self._closed = True
        _wake(self._readers)
        _wake(self._writers)

    # -- the reader's side ------------------------------------------------------------------

    def receive_nowait(self) -> T:
        """The next item; `WouldBlock` when none is waiting, `EndOfStream` after the last one."""
        if self._items:
            item = self._items.popleft()
            if self._writers and len(self._items) < self._capacity:
                _wake(self._writers)
            return item
        if self._abandoned:
            raise anyio.ClosedResourceError
        if self._closed:
            raise anyio.EndOfStream
        raise anyio.WouldBlock

    async def receive(self) -> T:
        """The next item, waiting for one; a ready item is returned without a trip through the
        event loop (writers wait after `capacity` items, so the reader yields by then)."""
        while not (self._items or self._closed or self._abandoned):
            self._read_waits += 1
            await self._wait(self._readers, self._read_waits)
        return self.receive_nowait()

    async def _wait(self, waiters: list[_Waiter], count: int) -> None:
        """Wait until the other side wakes `waiters`; this side's `count`th wait (the first and
        every CHECK_EVERYth) first takes a pending cancellation: see the class docstring."""
        if count % CHECK_EVERY == 1:
            await checkpoint_if_cancelled()
        waiter = self._new_waiter()
        waiters.append(waiter)
        try:
            await waiter.wait()
        except BaseException:  # woken waiters are off the list already (`_wake` clears it)
            _forget(waiters, waiter)
            raise

    def abandon(self) -> None:
        """The reader is gone: drop the buffer, and writers get `ClosedResourceError`."""
        self._abandoned = True
        self._items.clear()
        _wake(self._readers)
        _wake(self._writers)


def _wake(waiters: list[_Waiter]) -> None:
    """Wake every waiter (each re-checks what it waits for, so none is lost)."""
    for waiter in waiters:
        waiter.set()
    waiters.clear()


def _forget(waiters: list[_Waiter], waiter: _Waiter) -> None:
    try:
        waiters.remove(waiter)
    except ValueError:  # already woken and cleared
        pass
