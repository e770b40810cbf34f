"""`plan.stream(x)` and `plan.events(x)`: a run in the background, consumed as it goes.

Both are async context managers that own the run (a task group, entered and exited in the
consumer's task, as structured concurrency on asyncio and trio requires) and async iterators
of what the run produces, through a bounded buffer: a consumer that reads slowly slows the run
down instead of letting memory grow. Leaving the `async with` block early (a `break`, an
error, a cancellation) or calling `aclose()` cancels the run and waits for it to stop; nothing
is left running. A failed run raises its error from the iterator once everything produced
before the failure has been read, and `await result()` gives the run's value.

    async with plan.stream(question) as chunks:
        async for chunk in chunks:
            print(chunk, end="")
    answer = await chunks.result()
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar, cast

import anyio
from anyio.abc import TaskGroup
from typing_extensions import Self

from ..context import RunContext
from ..errors import StreamUsageError
from ._channel import Channel
from ._shield import running_asyncio
from ._events import Event, EventChannel, _channel
from ._streaming import Sink

if TYPE_CHECKING:
    from ._runner import Executable

__all__ = ["RunEvents", "RunStream"]

Item = TypeVar("Item", covariant=True)
Out = TypeVar("Out", covariant=True)

_NOT_DONE = object()


class _LiveRun(Generic[Item, Out]):
    """The shared machinery of RunStream and RunEvents."""

    _what = "run"

    def __init__(self, exe: Executable, input: object, context: RunContext | None, timeout: float | None, buffer: int) -> None:
        self._exe = exe
        self._input = input
        self._context = context
        self._timeout = timeout
        self._buffer = buffer
        self._state = "new"
        self._result: object = _NOT_DONE
        self._error: BaseException | None = None
        self._error_raised = False
        self._group: TaskGroup | None = None
        self._task: asyncio.Task[None] | None = None
        self._scope: anyio.CancelScope | None = None
        """The run's cancel scope on asyncio: stopping cancels it, level-triggered as in a task
        group (a node that catches one cancellation and awaits again is cancelled again)."""
        self._stopping = False

    # -- what a subclass provides -----------------------------------------------------------

    def _install(self, send: Channel[object]) -> tuple[ContextVar[object], Token[object]] | None:
        """Put the run's context variables in place (in the run's task); None when it has none."""
        return None

    def _sink(self, send: Channel[object]) -> Sink | None:
        """Where the run sends its streaming output's chunks (None: nowhere)."""
        return None

    async def _before_close(self) -> None:
        """Runs after the run ended, before the buffer closes."""

    # -- the run ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise StreamUsageError(f"plan {self._exe.name!r}.{self._what}(): this object was already entered; call {self._what}() again")
        asyncio_loop = running_asyncio()
        send: Channel[object] = Channel(self._buffer, asyncio_loop=asyncio_loop)
        self._items: Channel[Item] = cast("Channel[Item]", send)  # what the reader takes: typed once, not per item
        if asyncio_loop:
            # asyncio's own task, cancelled and awaited in __aexit__ like a task group's: an anyio
            # task group costs some 50 us more per run, a twentieth of a fast first token
            self._task = asyncio.get_running_loop().create_task(self._produce(send))
        else:
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
            self._group.start_soon(self._produce, send)
        self._state = "running"
        return self

    async def _produce(self, send: Channel[object]) -> None:
        if self._stopping:  # stopped before it began: the run never starts, as a task group's would not
            send.close()
            return
        installed = self._install(send)
        try:
            with anyio.CancelScope() as self._scope:
                try:
                    self._result = await self._exe.run(self._input, self._context, self._timeout, self._sink(send))
                except anyio.get_cancelled_exc_class():
                    raise
                except BaseException as error:  # delivered to the consumer after what came before it,
                    self._error = error  # KeyboardInterrupt too, as plan.run would raise it (not out of the loop, not in a group)
                await self._before_close()
        finally:
            if installed is not None:
                installed[0].reset(installed[1])
            send.close()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        group, task = self._group, self._task
        if group is None and task is None:
            return None
        self._group = self._task = None
        try:
            if task is not None:
                if not task.done():  # a finished run needs no cancelling (anyio's cancel() formats the task's repr)
                    self._stopping = True
                    if self._scope is not None:
                        self._scope.cancel()
                    await _stop(task)
                elif not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]  # a BaseException the run did not catch
            elif group is not None:
                group.cancel_scope.cancel()  # a no-op when the run is over; else the consumer left early
                if exc is not None and not isinstance(exc, anyio.get_cancelled_exc_class()):
                    # the consumer's own error (or the run's, re-raised), KeyboardInterrupt
                    # included: it propagates as is, not in a group
                    await group.__aexit__(None, None, None)
                else:
                    await group.__aexit__(exc_type, exc, tb)
        finally:
            self._items.close()  # closed by the run too, unless it was cancelled before it started
            self._items.abandon()
            self._state = "closed"
        if exc_type is None and self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error  # never lose a failure the consumer did not read
        return None

    async def aclose(self) -> None:
        """Stop the run (if it is still going) and wait until it has stopped."""
        await self.__aexit__(None, None, None)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Item:
        if self._state == "new":
            raise StreamUsageError(
                f"plan {self._exe.name!r}.{self._what}() must be entered before iterating, so the run cannot outlive "
                f"the loop: `async with plan.{self._what}(x) as items: async for item in items: ...`"
            )
        try:
            return self._items.receive_nowait()  # a ready item: no coroutine, no trip through the loop
        except anyio.WouldBlock:
            try:
                return await self._items.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                pass
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        if self._error is not None:  # raised here, not in the except block, so it keeps its own cause
            self._error_raised = True
            raise self._error
        raise StopAsyncIteration

    async def result(self) -> Out:
        """The run's value, once it has finished (what is not read yet is read and dropped);
        raises the run's error if it failed."""
        async for _ in self:
            pass
        if self._result is _NOT_DONE:
            raise StreamUsageError(f"plan {self._exe.name!r}.{self._what}(): the run was stopped before it finished")
        return cast(Out, self._result)


async def _stop(task: asyncio.Task[None]) -> None:
    """Wait until `task` (whose run's scope is cancelled) has stopped, even when the waiting task
    is itself cancelled meanwhile (that cancellation is re-raised afterwards)."""
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            cancelled = True
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]  # a BaseException the run did not catch
    if cancelled:
        raise asyncio.CancelledError


class RunStream(_LiveRun[Item, Out]):
    """The chunks of a plan's streaming output as they are produced (see `Plan.stream`)."""

    _what = "stream"

    def _sink(self, send: Channel[object]) -> Sink | None:
        return Sink(self._exe.owner, send)


class RunEvents(_LiveRun[Event, Out]):
    """A run's events as they happen (see `Plan.events` and executor._events)."""

    _what = "events"

    def _install(self, send: Channel[object]) -> tuple[ContextVar[object], Token[object]]:
        self._channel = EventChannel(cast("Channel[Event]", send))
        var = cast("ContextVar[object]", _channel)
        return var, var.set(self._channel)

    async def _before_close(self) -> None:
        if self._channel.behind:  # the run ends once the consumer is within its buffer of the end
            await self._channel.drain()
