"""Streaming nodes: `StreamNode[In, Chunk, Out]` and `streaming(fn)`.

A streaming node produces its result as chunks (a model's tokens) and, joined, as one value of
type `Out`. Composed with `>>`, the step after it gets either the chunks, as they come, when it
takes `AsyncIterator[Chunk]` (a transform such as a sentence buffer, itself built with
`streaming()`, or a reducer), or the joined value otherwise. mypy follows the chunk type
through `>>`, resilience wrappers and `compile()`, so `plan.stream(x)` yields `Chunk`s.

    @streaming
    async def tokens(request: ChatRequest) -> AsyncIterator[str]: ...

    @streaming
    async def sentences(chunks: AsyncIterator[str]) -> AsyncIterator[str]: ...

    answer = prepare >> tokens >> sentences   # StreamNode[str, str, str]
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, Literal, Never, TypeVar, overload

from ..context import RunContext
from ..errors import BuildError
from ._core import AnyNode, Node, _Default
from ._callables import return_type_of
from ._fluent import builder
from ._location import SourceLocation
from ._introspect import _arity, callable_name, qualified_name, resolved_hints
from ._types import UNKNOWN, TypeExpr

if TYPE_CHECKING:
    import random

    from ..stdlib.cache import Cache, CacheStore
    from ..stdlib._clock import Clock
    from ..stdlib._guard import GuardPolicy
    from ..stdlib.recovery._budget import RetryBudget
    from ..stdlib.recovery._retry import RetryOn

__all__ = ["StreamFunction", "StreamNode", "StreamView", "join_text", "split_text", "streaming"]

In = TypeVar("In", contravariant=True)
Chunk = TypeVar("Chunk", covariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
C = TypeVar("C")
D = TypeVar("D")
J = TypeVar("J")
K = TypeVar("K")

_STREAM_ORIGINS = (
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
)


def join_text(chunks: list[str]) -> str:
    """The default join of text streams: the chunks concatenated."""
    try:
        return "".join(chunks)
    except TypeError:
        kinds = sorted({type(c).__name__ for c in chunks if not isinstance(c, str)})
        raise TypeError(f"join_text: chunks must be str, got {kinds}; give streaming() a join= for other chunks") from None


def split_text(text: str) -> tuple[str]:
    """How a cached text stream is replayed: its whole text as one chunk."""
    return (text,)


class StreamNode(Node[In, Out], Generic[In, Chunk, Out]):
    """A node whose result arrives as chunks of type `Chunk` and, joined, as one `Out`."""

    primitive_type = "stream"

    # -- composition keeps the chunk type ------------------------------------------------------

    # An operator override may not accept more than Node's: this one also takes transforms.
    @overload  # type: ignore[override]
    def __rshift__(self, other: StreamNode[AsyncIterator[Chunk], K, C]) -> StreamNode[In, K, C]: ...  # a transform
    @overload  # a reducer: it takes the chunks and returns one value
    def __rshift__(self, other: Node[AsyncIterator[Chunk], C]) -> Node[In, C]: ...
    @overload  # a later stream, fed the joined value
    def __rshift__(self, other: StreamNode[Out, K, C]) -> StreamNode[In, K, C]: ...
    @overload  # any step fed the joined value: the plan still streams these chunks
    def __rshift__(self, other: Node[Out, C]) -> StreamNode[In, Chunk, C]: ...
    @overload
    def __rshift__(self, other: Callable[[Out], Coroutine[object, object, C]]) -> StreamNode[In, Chunk, C]: ...
    @overload
    def __rshift__(self, other: Callable[[Out], C]) -> StreamNode[In, Chunk, C]: ...
    def __rshift__(self, other: object) -> Node[In, object]:
        """`a >> b`: run `a`, then feed `b` its chunks (if `b` takes a stream) or joined value."""
        return _compose(self, other)  # type: ignore[return-value]

    def _joined_after(self, left: Node[Never, object]) -> Node[Never, object]:
        return _compose(left, self)

    @overload
    def then(self, other: StreamNode[AsyncIterator[Chunk], K, C]) -> StreamNode[In, K, C]: ...
    @overload
    def then(self, other: Node[AsyncIterator[Chunk], C]) -> Node[In, C]: ...
    @overload
    def then(self, other: StreamNode[Out, K, C]) -> StreamNode[In, K, C]: ...
    @overload
    def then(self, other: Node[Out, C]) -> StreamNode[In, Chunk, C]: ...
    @overload
    def then(self, other: Callable[[Out], Coroutine[object, object, C]]) -> StreamNode[In, Chunk, C]: ...
    @overload
    def then(self, other: Callable[[Out], C]) -> StreamNode[In, Chunk, C]: ...
    def then(self, other: object) -> Node[In, object]:
        """Fluent form of `>>`."""
        return _compose(self, other)  # type: ignore[return-value]

    # -- resilience keeps the chunk type (see Node; on a stream they act before the first chunk)

    def retry(
        self,
        *,
        max_attempts: int = 3,
        initial_delay: float = 0.1,
        backoff_factor: float = 2.0,
        max_delay: float = 10.0,
        jitter: bool = True,
        deadline: float | None = None,
        retry_on: RetryOn | None = None,
        budget: RetryBudget | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> StreamNode[In, Chunk, Out]:
        """Retry opening the stream on transient errors, until its first chunk (see Node.retry)."""
        return StreamView(
            Node.retry(
                self,
                max_attempts=max_attempts,
                initial_delay=initial_delay,
                backoff_factor=backoff_factor,
                max_delay=max_delay,
                jitter=jitter,
                deadline=deadline,
                retry_on=retry_on,
                budget=budget,
                clock=clock,
                rng=rng,
            )
        )

    def timeout(
        self,
        seconds: float,
        *,
        first_chunk: float | None = None,
        idle: float | None = None,
        fallback: Node[In, Out] | None = None,
        clock: Clock | None = None,
    ) -> StreamNode[In, Chunk, Out]:
        """Bound the whole stream to `seconds`, the wait for its first chunk to `first_chunk` and
        each wait for the next to `idle` (see Timeout)."""
        return StreamView(builder("timeout")(self, seconds, first_chunk=first_chunk, idle=idle, fallback=fallback, clock=clock))  # type: ignore[arg-type]

    def cached(
        self,
        cache: Cache | None = None,
        /,
        *,
        max_size: int | None = None,
        ttl: float | None | Literal[_Default.HOUR] = _Default.HOUR,
        key: Callable[[In], object] | None = None,
        namespace: str | None = None,
        scope: str | None = None,
        store: CacheStore | None = None,
    ) -> StreamNode[In, Chunk, Out]:
        """Cache the joined result; a hit replays it as a stream (see Node.cached)."""
        return StreamView(
            Node.cached(self, cache, max_size=max_size, ttl=ttl, key=key, namespace=namespace, scope=scope, store=store)
        )

    def guard(self, policy: GuardPolicy) -> StreamNode[In, Chunk, Out]:
        """Run this stream under a guard (a breaker, a bulkhead, ...)."""
        return StreamView(policy(self))

    def fallback(self, other: Node[In, Out]) -> StreamNode[In, Chunk, Out]:
        """Stream `other` instead if this stream fails before its first chunk."""
        return StreamView(Node.fallback(self, other))


def _compose(left: Node[Never, object], right: object) -> Node[Never, object]:
    """`left >> right` as the type checker sees it: a StreamView while the result still streams
    (`right` streams, or `left` does and `right` does not consume its chunks)."""
    base = left.inner if type(left) is StreamView and getattr(left, "_tta_name", None) is None else left
    chain: Node[Never, object] = builder("join")(base, right)  # type: ignore[assignment]
    if isinstance(right, StreamNode) or (isinstance(left, StreamNode) and not _takes_stream(right)):
        return StreamView(chain)
    return chain


def _takes_stream(node: object) -> bool:
    """Whether a node (or function) is declared to take a stream as its input."""
    if isinstance(node, StreamFunction):
        return node.consumes
    info = getattr(node, "info", None)
    in_type = getattr(info, "in_type", None)
    if in_type is None and callable(node) and not isinstance(node, Node):
        params = list(resolved_hints(node).items())
        in_type = params[0][1] if params and params[0][0] != "return" else None
    return is_stream_type(in_type)


def is_stream_type(tp: object) -> bool:
    """Whether `tp` is a stream of chunks: AsyncIterator, AsyncIterable or AsyncGenerator."""
    if type(tp) is type:  # a plain class (`int`), every step of most plans: not an ABC, no origin
        return False
    return typing.get_origin(tp) in _STREAM_ORIGINS or tp in _STREAM_ORIGINS


def _chunk_of(tp: object) -> TypeExpr:
    if is_stream_type(tp):
        args = typing.get_args(tp)
        return args[0] if args else UNKNOWN
    return UNKNOWN


class StreamView(StreamNode[In, Chunk, Out]):
    """A composite (a chain, a guard) known to stream: what `>>` and the resilience methods of
    a StreamNode return, so its type keeps the chunk type. It compiles to the node it views."""

    def __init__(self, inner: Node[Never, object]) -> None:
        self.inner: AnyNode = inner

    @property
    def primitive_type(self) -> str:  # type: ignore[override]
        """The wrapped stream's kind (a view changes the static type, not the node)."""
        return self.inner.primitive_type

    def _default_name(self) -> str:
        return self.inner.name

    @property
    def location(self) -> SourceLocation:
        """Where the wrapped stream was built."""
        return self.inner.location


class StreamFunction(StreamNode[In, Chunk, Out]):
    """A leaf streaming node: calls `fn(input)` (or `fn(input, ctx)`), an async generator, and
    joins its chunks with `join`."""

    def __init__(
        self,
        fn: Callable[..., object],
        *,
        join: Callable[[list[Any]], object] | None,
        split: Callable[[Any], Iterable[object]] | None,
        name: str | None,
    ) -> None:
        where = f"streaming({name or callable_name(fn)})"
        if not callable(fn) or isinstance(fn, Node):
            raise BuildError(f"{where}: expected an async generator function, got {type(fn).__name__} {fn!r}")
        if inspect.isgeneratorfunction(fn):
            raise BuildError(f"{where}: {callable_name(fn)!r} is a sync generator; a stream is an async generator (async def with yield)")
        if join is not None and not callable(join):
            raise BuildError(f"{where}: join must be a function from the list of chunks to the joined value, got {join!r}")
        if split is not None and not callable(split):
            raise BuildError(f"{where}: split must be a function from the joined value to chunks, got {split!r}")
        try:
            signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            signature = None
        hints = resolved_hints(fn)
        self.fn = fn
        self.arity, self.in_type = _arity(signature, hints, name=callable_name(fn), where=where)
        returned = hints.get("return", UNKNOWN)
        if typing.get_origin(returned) in (collections.abc.Coroutine, collections.abc.Awaitable):
            returned = typing.get_args(returned)[-1]
        if returned is not UNKNOWN and not is_stream_type(returned):
            raise BuildError(f"{where}: {callable_name(fn)!r} is annotated to return {returned!r}; a stream returns AsyncIterator[Chunk]")
        self.chunk_type: TypeExpr = _chunk_of(returned)
        self.consumes = is_stream_type(self.in_type)
        if join is None:
            if self.chunk_type not in (str, UNKNOWN):
                raise BuildError(f"{where}: chunks of type {self.chunk_type!r} need join= (how they become one value)")
            join, split = join_text, (split or split_text)
        elif split is None and join in (list, tuple):
            split = tuple
        self.join: Callable[[list[Any]], object] = join
        self.split = split
        self.out_type: TypeExpr = _joined_type(join, self.chunk_type)
        self.qualname = qualified_name(fn)
        self._tta_default_name = callable_name(fn)
        self._set_name(name)


def _joined_type(join: Callable[..., object], chunk: TypeExpr) -> TypeExpr:
    if join is join_text:
        return str
    if join is list:
        return list if chunk is UNKNOWN else list[chunk]  # type: ignore[valid-type]
    if join is tuple:
        return tuple if chunk is UNKNOWN else tuple[chunk, ...]  # type: ignore[valid-type]
    if isinstance(join, type):
        return join
    if getattr(join, "__self__", None) == "" and getattr(join, "__name__", None) == "join":
        return str  # "".join
    return return_type_of(join)


@overload
def streaming(
    fn: Callable[[A], AsyncIterator[str]], /, *, name: str | None = None
) -> StreamNode[A, str, str]: ...
@overload
def streaming(
    fn: Callable[[A, RunContext], AsyncIterator[str]], /, *, name: str | None = None
) -> StreamNode[A, str, str]: ...
@overload
def streaming(
    fn: Callable[[A], AsyncIterator[C]],
    /,
    *,
    join: Callable[[list[C]], J],
    split: Callable[[J], Iterable[C]] | None = None,
    name: str | None = None,
) -> StreamNode[A, C, J]: ...
@overload
def streaming(
    fn: Callable[[A, RunContext], AsyncIterator[C]],
    /,
    *,
    join: Callable[[list[C]], J],
    split: Callable[[J], Iterable[C]] | None = None,
    name: str | None = None,
) -> StreamNode[A, C, J]: ...
@overload
def streaming(
    *, join: Callable[[list[C]], J], split: Callable[[J], Iterable[C]] | None = None, name: str | None = None
) -> Callable[[Callable[[A], AsyncIterator[C]]], StreamNode[A, C, J]]: ...
@overload
def streaming(*, name: str | None = None) -> Callable[[Callable[[A], AsyncIterator[str]]], StreamNode[A, str, str]]: ...
def streaming(
    fn: Callable[..., AsyncIterator[Any]] | None = None,
    /,
    *,
    join: Callable[[list[Any]], object] | None = None,
    split: Callable[[Any], Iterable[object]] | None = None,
    name: str | None = None,
) -> StreamNode[Any, Any, Any] | Callable[[Callable[..., AsyncIterator[Any]]], StreamNode[Any, Any, Any]]:
    """A streaming node from an async generator function (or any function returning an async
    iterator), typed `StreamNode[In, Chunk, Out]` from its annotations.

    `join` turns the list of chunks into the value steps after it see (text chunks are joined
    into one string by default); `split` turns that value back into chunks, for a cache to
    replay (one chunk of the whole text by default; `tuple` for `join=list`). The function may
    take the RunContext as its second parameter; one that takes `AsyncIterator[...]` is a
    transform of the previous step's chunks. Works as a decorator, bare (`@streaming`) or with
    settings (`@streaming(join=list)`)."""
    if fn is None:
        return lambda target: StreamFunction(target, join=join, split=split, name=name)
    return StreamFunction(fn, join=join, split=split, name=name)
