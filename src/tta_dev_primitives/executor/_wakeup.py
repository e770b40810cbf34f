"""An event that may be set from any thread and wakes waiters in their own event loops.

Objects such as a Cache or a Bulkhead are often shared by code running `plan.run_sync` in
several threads, each with its own event loop. An `anyio.Event` belongs to one loop: set from
another thread it never wakes its waiter, which then hangs. `ThreadSafeEvent` records, for each
waiter, how to reach that waiter's loop (asyncio's `call_soon_threadsafe`, trio's token), and
wakes each one there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import anyio
import anyio.lowlevel

from ._shield import running_asyncio

__all__ = ["ThreadSafeEvent"]

Wake = Callable[[], None]


def _waker(event: anyio.Event) -> Wake:
    """A function that sets `event` (of the current loop) from any thread."""
    owner = threading.get_ident()
    post: Callable[[Wake], object]
    closed: type[Exception]
    if running_asyncio():
        post, closed = asyncio.get_running_loop().call_soon_threadsafe, RuntimeError
    else:
        import trio

        post, closed = trio.lowlevel.current_trio_token().run_sync_soon, trio.RunFinishedError

    def wake() -> None:
        if threading.get_ident() == owner:
            event.set()
            return
        try:
            post(event.set)
        except closed:  # that loop has ended: nobody is left waiting there
            pass

    return wake


class ThreadSafeEvent:
    """Set once, from any thread; `await wait()` returns once it is set (a cancellation point)."""

    __slots__ = ("_flag", "_lock", "_waiters")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flag = False
        self._waiters: list[Wake] = []

    def is_set(self) -> bool:
        """Whether the event has been set."""
        return self._flag

    def set(self) -> None:
        """Set the event and wake every waiter in its own loop (no-op when already set)."""
        with self._lock:
            if self._flag:
                return
            self._flag = True
            waiters, self._waiters = self._waiters, []
        for wake in waiters:
            wake()

    async def wait(self) -> None:
        """Wait, in the calling event loop, until the event is set (from any thread or loop)."""
        event = anyio.Event()
        with self._lock:
            wake = None if self._flag else _waker(event)
            if wake is not None:
                self._waiters.append(wake)
        if wake is None:
            await anyio.lowlevel.checkpoint()
            return
        try:
            await event.wait()
        except BaseException:
            with self._lock:
                if wake in self._waiters:
                    self._waiters.remove(wake)
            raise
