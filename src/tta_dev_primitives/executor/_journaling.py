"""Journaling inside a durable run: what a completed leaf records, and what a resumed run replays.

A durable run (`plan.run(x, run_id=..., journal=...)`) runs the plan's *durable* closures: the
same closures as any run, except that every leaf that is not declared pure is wrapped by
`journaled`. Before running, the wrapper looks its key up in the records the journal held when
the run started; a recorded output is decoded and returned without running the leaf. Otherwise
the leaf runs and its output is written to the journal, and acknowledged, before the next op
sees it. Pure leaves are simply re-executed: their inputs come from the journal.

A key is the op's `node_id` (stable in the plan's fingerprint) after a *path*: the loop
iterations, map items, tool calls, and retry, hedge or fallback attempts the op runs inside
(`numbered`). Two executions of one op in one run therefore never share a key, and a resumed
retry never replays a child of a failed attempt as if it belonged to a later one.

Non-durable runs use closures built without any of this: they pay nothing.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from ..context import _current, _idempotency_key
from ._hooks import HookSet, NodeInfo, _overrides
from ._step import AsyncFn, OpenFn, Step

if TYPE_CHECKING:
    from ..compiler._ir import Op

__all__ = [
    "CHUNKS", "DONE", "FAILED", "QUESTION", "STARTED", "Recorder", "RunSuspended", "ValueCodec", "current_key", "current_path", "current_recorder", "describe_error", "find_suspension", "journaled", "numbered",
    "resume_point", "run_at",
]


class ValueCodec(Protocol):
    """How one op's values become journal payloads and back (see durable._codec)."""

    def encode(self, value: object) -> bytes:
        """The op's value as a journal payload."""
        ...

    def decode(self, data: bytes) -> object:
        """The value a payload was encoded from."""
        ...


class Recorder(Protocol):
    """The journal of the durable run in progress, as the closures see it."""

    run_id: str
    records: dict[str, bytes]
    """Verified payloads by key, as the journal held them when the run started, plus what
    this run recorded since."""

    async def record(self, key: str, payload: bytes) -> None:
        """Write `payload` under `key` and wait until the journal has acknowledged it."""
        ...

    def replay(self, key: str, payload: bytes, codec: ValueCodec, op: Op) -> object:
        """The value recorded under `key` (JournalCorruptError when it does not decode)."""
        ...

    def latest(self, base: str) -> int:
        """The highest execution number `n` with records under the path `base` + `n` + "/"
        (e.g. base "4." for the attempts of op 4 here), or -1 when there are none."""
        ...


QUESTION = "?"
"""Suffix of the key an interrupt records its question under (its answer is its output)."""
STARTED = "!"
"""Suffix of the key a saga step records before it runs."""
DONE = "$"
"""Suffix of the key a saga step records its output under once it completed."""
FAILED = "!failed"
"""Suffix of the key a saga records its failure under, before compensating."""
CHUNKS = "~"
"""Suffix of the key a streaming leaf records its chunks under."""

_recorder: ContextVar[Recorder | None] = ContextVar("tta_recorder", default=None)
_path: ContextVar[str] = ContextVar("tta_journal_path", default="")


def current_recorder() -> Recorder | None:
    """The durable run's recorder, or None outside durable runs."""
    return _recorder.get()


class RunSuspended(BaseException):
    """An interrupt suspended the run: not a failure, so no `except Exception` (retries,
    fallbacks, tool dispatch) treats it as one, and sagas do not compensate for it."""

    def __init__(self, key: str, node_name: str, question: object) -> None:
        super().__init__(f"run suspended at interrupt {node_name!r}")
        self.key = key
        self.node_name = node_name
        self.question = question


def find_suspension(error: BaseException) -> RunSuspended | None:
    """The RunSuspended in `error` (itself, or inside exception groups), or None."""
    if isinstance(error, RunSuspended):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = find_suspension(inner)
            if found is not None:
                return found
    return None


def journaled(op: Op, step: Step, codec_for: Callable[[Op, object], ValueCodec], told: tuple[HookSet, NodeInfo] | None = None) -> Step:
    """`step` (a leaf's) replaying its recorded output, or recording the output it produces.

    A streaming leaf records its chunks (under its key and `~`) when they are read as a
    stream, and a resumed run replays them as chunks; its joined value is recorded when it is
    only called. A replay is told to the hooks in `told` (`on_replay`), so a trace shows which
    steps of a resumed run ran and which came from the journal."""
    from ..compiler._ir import StreamOp

    codec = codec_for(op, op.out_type)
    node_id = str(op.node_id)
    replayed = _replay_teller(told)
    if step.open is not None and isinstance(op, StreamOp):
        opened = _journaled_open(op, step.open, codec_for(op, list.__class_getitem__(op.chunk_type)), replayed)
        if step.collect is not None:  # its call joins the chunks: recorded as chunks too
            return Step(step.collect(opened), True, opened, step.collect)
        step = Step(step.call, step.is_async, opened)
    call = step.as_async()

    async def run(x: object) -> object:
        recorder = _recorder.get()
        if recorder is None:  # the durable closures run outside a durable run: just run
            return await call(x)
        key = _path.get() + node_id
        stored = recorder.records.get(key)
        if stored is not None:
            if replayed is not None:
                replayed()
            return recorder.replay(key, stored, codec, op)
        token = _idempotency_key.set(f"{recorder.run_id}/{key}")
        try:
            result = await call(x)
        finally:
            _idempotency_key.reset(token)
        await recorder.record(key, codec.encode(result))
        return result

    return Step(run, True, step.open, None)


def _replay_teller(told: tuple[HookSet, NodeInfo] | None) -> Callable[[], None] | None:
    """What tells the hooks in `told` that their node was replayed (None: nobody listens)."""
    if told is None or not any(_overrides(hook, "on_replay") for hook in told[0].hooks):
        return None
    hooks, info = told

    def replayed() -> None:
        hooks.emit("on_replay", info, _current.get())

    return replayed


def _journaled_open(op: Op, open_: OpenFn, codec: ValueCodec, replayed: Callable[[], None] | None) -> OpenFn:
    suffix = f"{op.node_id}{CHUNKS}"

    async def chunks(x: object) -> AsyncIterator[object]:
        recorder = _recorder.get()
        if recorder is None:
            async for chunk in open_(x):
                yield chunk
            return
        key = _path.get() + suffix
        stored = recorder.records.get(key)
        if stored is not None:
            if replayed is not None:
                replayed()
            for chunk in typing.cast("list[object]", recorder.replay(key, stored, codec, op)):
                yield chunk
            return
        seen: list[object] = []
        source = open_(x)
        try:
            async for chunk in source:
                seen.append(chunk)
                yield chunk
        finally:
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()
        await recorder.record(key, codec.encode(seen))  # only a stream read to its end

    return chunks


def numbered(prefix: str, fn: Callable[[object], Awaitable[object]]) -> Callable[[int, object], Awaitable[object]]:
    """`fn` as a call `(n, x)` that runs `fn(x)` as execution `n` of op `prefix` (an attempt,
    an item, a tool call) on the key path."""

    async def scoped(n: int, x: object) -> object:
        token = _path.set(f"{_path.get()}{prefix}.{n}/")
        try:
            return await fn(x)
        finally:
            _path.reset(token)

    return scoped


def resume_point(op_id: int) -> int:
    """For an op that tries its executions in order (retry attempts, fallback routes, hedged
    calls): the latest execution a resumed run had reached, to start from; -1 when none was
    journaled (or outside durable runs). Earlier executions failed; trying them again would
    repeat effects they may have had under other idempotency keys."""
    recorder = _recorder.get()
    return -1 if recorder is None else recorder.latest(f"{_path.get()}{op_id}.")


def current_path() -> str:
    """The key path at this point of the run ("" outside loops, maps, attempts, tool calls)."""
    return _path.get()


async def run_at(path: str, fn: AsyncFn, x: object) -> object:
    """`fn(x)` at key path `path` (a saga's compensation, at the path its step ran at)."""
    token = _path.set(path)
    try:
        return await fn(x)
    finally:
        _path.reset(token)


_ERROR_LIMIT = 2000


def describe_error(error: BaseException, mask: Callable[[str], str] | None = None) -> str:
    """`module.Type: message` of `error`, passed through `mask` (the caller's redaction) and cut
    to 2,000 characters: what a journal keeps of a failure whose process may be gone."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    try:
        text = f"{kind}: {error}"
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
        text = f"{kind}: <unprintable>"
    if mask is not None:
        text = mask(text)
    # storable by every store: no lone surrogates (SQLite, PostgreSQL) and no NUL (PostgreSQL)
    return text[:_ERROR_LIMIT].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def current_key(op: Op) -> str:
    """The key `op` records under at this point of the run."""
    return _path.get() + str(op.node_id)
