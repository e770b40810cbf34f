"""Running streams: stream ops, collecting chunks into a value, the plan's chunk sink, and
streams under hooks and guards.

A streaming op's Step has `open(x)`, an async iterator of its chunks. Steps that take a stream
get that iterator; everyone else gets `call(x)`, which collects the chunks and joins them. The
plan's outlet (see compiler._streams) also hands each chunk to the sink of the `plan.stream()`
that runs it, awaiting the consumer: a bounded buffer, so a slow reader slows the run down.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Protocol

import anyio

from ..compiler._ir import Op, StreamOp
from ..compiler._streams import stream_shape
from ..context import _current
from ..errors import StreamInterruptedError
from ._emit import Emitter, emitter
from ._instrument import close_quietly, instrument_open
from ._step import AsyncFn, OpenFn, Step

__all__ = [
    "Opened", "Sink", "chunks_sent", "close_quietly", "collector", "discard", "first_chunk_guard", "first_of", "instrument_open",
    "resume", "stream_step",
]

Join = Callable[[list[object]], object]


class _Send(Protocol):
    async def send(self, item: object, /) -> None: ...

    def send_nowait(self, item: object, /) -> None: ...


class Sink:
    """Where the chunks of one `plan.stream()` run go: `owner` is the emitter whose outlet may
    send here; `sent` counts the chunks delivered (retry and fallback read it: after chunks went
    out, repeating the step would send them twice)."""

    __slots__ = ("owner", "send", "sent")

    def __init__(self, owner: object, send: _Send) -> None:
        self.owner = owner
        self.send = send
        self.sent = 0

    async def put_all(self, iterator: AsyncIterator[object], chunks: list[object]) -> None:
        """Send every chunk of `iterator` (collected into `chunks` too). The per-chunk loop of
        `plan.stream()`: a chunk that finds room costs one call, no coroutine and no trip
        through the event loop; only a full buffer awaits (backpressure)."""
        send_nowait, append = self.send.send_nowait, chunks.append
        async for chunk in iterator:
            append(chunk)
            try:
                send_nowait(chunk)
            except anyio.WouldBlock:
                await self.send.send(chunk)
            self.sent += 1


_sink: ContextVar[Sink | None] = ContextVar("tta_stream_sink", default=None)


def chunks_sent() -> int:
    """Chunks the current `plan.stream()` run has delivered so far (0 outside one)."""
    sink = _sink.get()
    return 0 if sink is None else sink.sent


def collector(join: Join, owner: object | None) -> Callable[[OpenFn], AsyncFn]:
    """How a streaming op's `call` is built from its `open`: collect the chunks and join them;
    with `owner` (the op is the plan's outlet) also hand each chunk to the run's sink."""

    def build(open_: OpenFn) -> AsyncFn:
        async def collect(x: object) -> object:
            sink = _sink.get() if owner is not None else None
            if sink is not None and sink.owner is not owner:
                sink = None
            chunks: list[object] = []
            iterator = open_(x)
            try:
                if sink is None:
                    async for chunk in iterator:
                        chunks.append(chunk)
                else:
                    await sink.put_all(iterator, chunks)
            finally:
                await close_quietly(iterator)
            return join(chunks)

        return collect

    return build


def stream_step(op: Op, em: Emitter, open_: OpenFn, value: Step | None = None) -> Step:
    """The Step of a streaming op: `open_` gives its chunks; its `call` is `value` (the op's
    own value path, e.g. a retry around the joined call) or, for the plan's outlet and for ops
    without one, the collected `open_`."""
    shape = stream_shape(op)
    assert shape is not None, f"{op.name!r} does not stream"
    outlet = id(op) in em.outlets
    if value is not None and not outlet:
        return Step(value.call, value.is_async, open_)
    collect = collector(shape.join, em.owner if outlet else None)
    return Step(collect(open_), True, open_, collect)


@emitter(StreamOp)
def _emit_stream(op: StreamOp, em: Emitter) -> Step:
    fn, name, consumes = op.fn, op.name, op.consumes
    get_ctx = _current.get
    with_context = op.arity == 2

    async def produce(x: object) -> AsyncIterator[object]:
        try:
            source: object = fn(x, get_ctx()) if with_context else fn(x)
            if inspect.isawaitable(source):
                source = await source
            if not hasattr(source, "__anext__"):
                raise TypeError(f"streaming node {name!r} returned {type(source).__name__}, not an async iterator")
            produced = 0
            try:
                async for chunk in source:  # type: ignore[attr-defined]
                    produced += 1
                    yield chunk
            except Exception as error:
                if produced and not isinstance(error, StreamInterruptedError):
                    raise StreamInterruptedError(name, produced, error) from error
                raise
            finally:
                await close_quietly(source)
        finally:
            if consumes:  # a transform owns the stream it reads: closing it closes that too
                await close_quietly(x)

    return stream_step(op, em, produce)


_EMPTY = object()


class Opened:
    """A stream opened by `first_of`: its first chunk (`_EMPTY` for an empty stream) and the
    open iterator of the rest."""

    __slots__ = ("head", "iterator")

    def __init__(self, head: object, iterator: AsyncIterator[object]) -> None:
        self.head = head
        self.iterator = iterator


async def discard(value: object) -> None:
    """Drop a guarded call's result that nobody will use (a hedge's late winner): an opened
    stream is closed now, shielded from the cancellation around it, not left to the GC (an SDK
    stream would hold its connection until then)."""
    if isinstance(value, Opened):
        with anyio.CancelScope(shield=True):
            await close_quietly(value.iterator)


def first_of(open_: OpenFn) -> AsyncFn:
    """`open_` as a value call returning an `Opened` (the first chunk and the open iterator):
    guards (retry, timeout, breaker, fallback, ...) wrap this, so they act before a stream's
    first chunk."""

    async def first(x: object) -> object:
        iterator = open_(x)
        try:
            chunk = await iterator.__anext__()
        except StopAsyncIteration:
            return Opened(_EMPTY, iterator)
        except BaseException:
            await close_quietly(iterator)
            raise
        return Opened(chunk, iterator)

    return first


def resume(first: AsyncFn) -> OpenFn:
    """The stream a `first_of` call (possibly guarded) started: its first chunk, then the rest.
    A failure after the first chunk is the stream's own (a StreamInterruptedError from the op
    that produced the chunks), which no guard repeats."""

    async def opened(x: object) -> AsyncIterator[object]:
        started = await first(x)
        assert isinstance(started, Opened)
        head, iterator = started.head, started.iterator
        try:
            if head is not _EMPTY:
                yield head
                async for chunk in iterator:
                    yield chunk
        finally:
            await close_quietly(iterator)

    return opened


def first_chunk_guard(wrap: Callable[[AsyncFn], AsyncFn], open_: OpenFn) -> OpenFn:
    """A stream under a value guard (`wrap`, e.g. a retry's): the guard covers opening the
    stream and reading its first chunk; the rest flows unguarded."""
    return resume(wrap(first_of(open_)))
