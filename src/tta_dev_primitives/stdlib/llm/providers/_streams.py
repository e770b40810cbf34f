"""SDK streams as the `EventStream` the base class reads, closed when the reader is done.

Two shapes cover every SDK here:

- `GeneratorEvents`: an async generator of events (google-genai, ollama, mistralai's async
  client, huggingface_hub). Several of those SDKs stack generators that each iterate the next
  without closing it, down to the one holding the HTTP response; closing the outer one alone
  leaves the connection to the garbage collector. `close` therefore also closes every
  generator suspended beneath it (found through their frames, at the start and again at the
  end) and the responses they hold, so the connection is released when the stream is.
- `ThreadedEvents`: a blocking iterator read one event per worker thread (boto3's event
  stream; mistralai's sync client on trio), safe against a close racing a read.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from types import AsyncGeneratorType
from typing import Any, Generic, TypeVar

import anyio

__all__ = ["GeneratorEvents", "ThreadedEvents", "suspended"]

E = TypeVar("E")

MAX_DEPTH = 8
"""How deep `suspended` looks through generators iterating generators."""


def suspended(generator: object, depth: int = 0) -> tuple[list[Any], list[Any]]:
    """The async generators a not-yet-finished SDK generator iterates, outermost first, and the
    HTTP responses (`response_stream` with an `aclose`) they hold: read from the frames'
    locals (arguments before the generator starts, its variables while it is suspended)."""
    frame = getattr(generator, "ag_frame", None)
    generators: list[Any] = []
    responses: list[Any] = []
    if frame is None or depth > MAX_DEPTH:
        return generators, responses
    for value in frame.f_locals.values():
        if isinstance(value, AsyncGeneratorType):
            below, held = suspended(value, depth + 1)
            generators += [value, *below]
            responses += held
        else:
            stream = getattr(value, "response_stream", None)
            if callable(getattr(stream, "aclose", None)):
                responses.append(stream)
    return generators, responses


class GeneratorEvents(Generic[E]):
    """An SDK's async generator of events as an EventStream. `close` closes it, the generators
    suspended beneath it, the responses they hold, and then whatever `also` closes (a response
    the SDK returned beside its generator)."""

    def __init__(self, events: AsyncIterable[E], *also: Callable[[], Awaitable[object]]) -> None:
        self.events = events
        self.also = also
        self._inner, self._responses = suspended(events)  # before it starts: what it was given

    def __aiter__(self) -> AsyncIterator[E]:
        return aiter(self.events)  # the SDK's generator itself

    async def close(self) -> None:
        inner, responses = suspended(self.events)  # while suspended: what it made since
        seen: set[int] = set()
        for stream in (self.events, *self._inner, *inner):
            close = getattr(stream, "aclose", None)
            if close is not None and id(stream) not in seen:
                seen.add(id(stream))
                await close()
        for response in (*self._responses, *responses):  # closed by the innermost generator; if not, here
            if id(response) not in seen:
                seen.add(id(response))
                await response.aclose()
        for close_also in self.also:
            await close_also()


_END: Any = object()


class ThreadedEvents(Generic[E]):
    """A blocking iterator of events read in worker threads, one event per
    `anyio.to_thread.run_sync`, as an async EventStream (runs on asyncio and trio alike).

    A read the consumer stops waiting for (cancelled) is abandoned: its thread finishes the
    read on its own (the next event, the end, or the SDK's read timeout), and if the stream was
    closed meanwhile that thread runs `close_sync` when its read returns, so a thread blocked
    in a socket read is never raced by a close from another thread."""

    def __init__(self, events: Iterator[E], close_sync: Callable[[], object]) -> None:
        self._events = events
        self._close_sync = close_sync
        self._lock = threading.Lock()
        self._reading = False
        self._closed = False

    def __aiter__(self) -> AsyncIterator[E]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[E]:
        while True:
            event = await anyio.to_thread.run_sync(self._next, abandon_on_cancel=True)
            if event is _END:
                return
            yield event

    def _next(self) -> E:
        with self._lock:
            if self._closed:
                return _END  # type: ignore[no-any-return]
            self._reading = True
        try:
            return next(self._events, _END)
        finally:
            if self._read_done():  # closed while this read was under way (the reader was cancelled)
                self._close_sync()

    def _read_done(self) -> bool:
        """Whether the stream was closed while the read that ends now was under way."""
        with self._lock:
            self._reading = False
            return self._closed

    async def close(self) -> None:
        with self._lock:
            self._closed = True
            reading = self._reading
        if not reading:  # else the reading thread closes it when its read returns
            self._close_sync()
