"""Work that must outlive the cancellation of the task that started it.

An anyio shield stops anyio's own cancellation, but not a native `task.cancel()` on asyncio:
a second `cancel()`, an `asyncio.timeout`, or the executor's own `asyncio.TaskGroup` cancelling
a failed branch's siblings all reach through it. So on asyncio the protected work runs in a task
of its own, which the starter's cancellation cannot reach; on trio, where every cancellation
comes from a cancel scope, a shielded scope is complete protection for work the caller waits
for; work the caller may abandon runs as a system task.

- `run_to_completion(fn)` runs `fn()` to its end whatever happens to the caller (saga
  compensations), and reports a cancellation that arrived meanwhile so the caller re-raises it.
- `Protectable` runs work that the caller may abandon, and that stops being cancellable once
  someone else depends on it (`protect()`): a cache's single-flight load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
import attrs

__all__ = ["Completed", "Protectable", "cancelled_by_itself", "run_to_completion", "running_asyncio"]

T = TypeVar("T")


def running_asyncio() -> bool:
    """True on an asyncio loop (trio runs none). anyio no longer depends on sniffio, so ask
    asyncio, through the getter that returns None instead of raising (no exception on trio)."""
    return asyncio._get_running_loop() is not None


def cancelled_by_itself() -> bool:
    """Inside `except asyncio.CancelledError`: True when the awaited code raised it on its own
    (a future someone else cancelled), not because this task is being cancelled. Such an error
    is the callee's failure, not a cancellation to propagate. Always False on trio, where only
    cancel scopes cancel."""
    if not running_asyncio():
        return False
    task = asyncio.current_task()
    return task is not None and task.cancelling() == 0


@attrs.frozen
class Completed(Generic[T]):
    """What `run_to_completion` returns: the work's value, and the cancellation (if any) that the
    caller received while the work ran; the caller must re-raise it once it has used `value`."""

    value: T
    cancelled: BaseException | None = None


async def _call(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


async def run_to_completion(fn: Callable[[], Awaitable[T]]) -> Completed[T]:
    """Run `fn()` to its end even if the caller is cancelled meanwhile, by anyio or natively.

    Bound the work inside `fn` (a timeout): nothing here stops it. Errors of `fn` propagate.
    On trio a pending cancellation is delivered again at the caller's next checkpoint, so
    `cancelled` is always None there.
    """
    if not running_asyncio():
        with anyio.CancelScope(shield=True):
            return Completed(await fn())
    task = asyncio.get_running_loop().create_task(_call(fn))  # copies the context (RunContext, span)
    cancelled: BaseException | None = None
    with anyio.CancelScope(shield=True):  # stops anyio re-delivering its cancellation every cycle
        while not task.done():
            try:
                await asyncio.wait((task,))  # unlike `await task`, never cancels the task
            except asyncio.CancelledError as exc:  # a native cancel: remember it, keep waiting
                cancelled = exc
    return Completed(task.result(), cancelled)


class Protectable:
    """Runs one piece of work for its starter; `protect()` makes it outlive the starter.

    The work always runs in a task of its own (a system task on trio), so that a starter who is
    cancelled returns at once on both backends. Until protected, cancelling the starter cancels
    the work too (nobody else needs it) and waits until it has stopped. Once protected, cancelling
    the starter only stops the starter waiting; the work goes on and reports through whatever
    `fn` records. `protect()` may be called from any thread.
    """

    __slots__ = ("_protected",)

    def __init__(self) -> None:
        self._protected = False

    def protect(self) -> None:
        """From now on, the starter's cancellation no longer cancels the work."""
        self._protected = True

    async def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn()` (which must record its own outcome for others) and return its value."""
        if not running_asyncio():
            return await self._run_trio(fn)
        task: asyncio.Task[T] = asyncio.get_running_loop().create_task(_call(fn))
        try:
            await asyncio.wait((task,))
        except BaseException:
            if not self._protected:  # nobody else needs it: stop it, and wait until it has stopped
                task.cancel()
                await run_to_completion(lambda: asyncio.wait((task,)))
            raise
        return task.result()

    async def _run_trio(self, fn: Callable[[], Awaitable[T]]) -> T:
        import contextvars

        import trio

        done = trio.Event()
        scope = trio.CancelScope()
        outcome: list[tuple[T] | BaseException] = []

        async def work() -> None:
            with scope:
                try:
                    outcome.append((await fn(),))
                except BaseException as exc:  # a system task must not raise: hand it over
                    outcome.append(exc)
            done.set()

        trio.lowlevel.spawn_system_task(work, context=contextvars.copy_context())
        try:
            await done.wait()
        except BaseException:
            if not self._protected:
                scope.cancel()
                with trio.CancelScope(shield=True):
                    await done.wait()
            raise
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result[0]
