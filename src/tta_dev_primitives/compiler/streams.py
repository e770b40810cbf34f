"""Where a plan streams: which ops produce chunks, which steps take them, and the plan's
streaming output.

An op *streams* when it can hand its result over chunk by chunk: a streaming node (StreamOp),
or an op passing on the stream of its `stream_children()` (a wrapper around a stream, a
fallback whose routes all stream, a sequence ending in one). A step right after a streaming
op whose input type is `AsyncIterator[...]` (or `AsyncIterable`) takes the chunks as they
come; any other step gets the joined value. The plan's *outlets* are the streaming ops whose
chunks `plan.stream()` delivers: the outermost streaming op on the result path, or, in a
sequence, of the last step with one whose chunks no later step consumes.
"""

from __future__ import annotations

import collections.abc
import typing
from collections.abc import Callable, Iterable

from .._deep import depth_independent
from ..dsl.streaming import is_stream_type
from ..dsl.types import TypeExpr
from .ir import Op, SeqOp, StreamOp

__all__ = ["StreamShape", "chunk_type", "consumes_stream", "outlets", "piped_type", "stream_shape"]


class StreamShape(typing.NamedTuple):
    """How a streaming op's chunks look and become one value."""

    chunk_type: TypeExpr
    join: Callable[[list[object]], object]
    split: Callable[[object], Iterable[object]] | None


def stream_shape(op: Op) -> StreamShape | None:
    """The chunk type, join and split of `op`'s stream; None when `op` does not stream."""
    shape = op.fact("stream_shape", _derive_shape)
    return shape if isinstance(shape, StreamShape) else None


@depth_independent
def _derive_shape(op: Op) -> StreamShape | None:
    if isinstance(op, StreamOp):
        return StreamShape(op.chunk_type, op.join, op.split)
    children = op.stream_children()
    if not children:
        return None
    shapes = [stream_shape(child) for child in children]
    first = shapes[0]
    return first if first is not None and all(s is not None for s in shapes) else None


def chunk_type(op: Op) -> TypeExpr | None:
    """The type of `op`'s chunks, or None when it does not stream."""
    shape = stream_shape(op)
    return None if shape is None else shape.chunk_type


def consumes_stream(op: Op) -> bool:
    """Whether `op` takes a stream of chunks as its input (`AsyncIterator[...]`), by the same
    test that tells `streaming()` a function is a transform."""
    return is_stream_type(op.in_type)


def piped_type(producer: Op, consumer: Op) -> TypeExpr:
    """What flows from `producer` into `consumer` in a sequence: the chunks as
    `AsyncIterator[chunk]` when the producer streams and the consumer takes a stream, else the
    producer's (joined) output."""
    if consumes_stream(consumer):
        chunk = chunk_type(producer)
        if chunk is not None:
            return collections.abc.AsyncIterator[chunk]  # type: ignore[valid-type]
    return producer.out_type


def _has_outlet(op: Op) -> bool:
    return bool(op.fact("has_outlet", _derive_has_outlet))


@depth_independent
def _derive_has_outlet(op: Op) -> bool:
    if stream_shape(op) is not None:
        return True
    return any(_has_outlet(child) for child in _outlet_candidates(op))


def _outlet_candidates(op: Op) -> tuple[Op, ...]:
    if isinstance(op, SeqOp):
        steps = op.children
        for i in range(len(steps) - 1, -1, -1):
            consumed = i + 1 < len(steps) and consumes_stream(steps[i + 1])
            if not consumed and _has_outlet(steps[i]):
                return (steps[i],)
        return ()
    return op.result_children()


def outlets(root: Op) -> frozenset[int]:
    """Ids (`id(op)`) of the ops whose chunks are the plan's streaming output."""
    found: set[int] = set()
    stack = [root]
    while stack:
        op = stack.pop()
        if stream_shape(op) is not None:
            found.add(id(op))
        else:
            stack.extend(c for c in _outlet_candidates(op) if _has_outlet(c))
    return frozenset(found)
