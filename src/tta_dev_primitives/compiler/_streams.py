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

from .._deep import depth_independent
from ._ir import Op, SeqOp, StreamOp, StreamShape, chunk_type, consumes_stream, piped_type, stream_shape, walk

__all__ = ["StreamShape", "chunk_type", "consumes_stream", "outlets", "piped_type", "stream_shape"]


def _has_outlet(op: Op) -> bool:
    if not op.children:  # a leaf streams only as a stream call: decided without a fact per leaf
        return isinstance(op, StreamOp)
    return bool(op.fact("has_outlet", _derive_has_outlet))


@depth_independent
def _derive_has_outlet(op: Op) -> bool:
    if stream_shape(op) is not None:
        return True
    return any(_has_outlet(child) for child in _outlet_candidates(op))


def _outlet_candidates(op: Op) -> tuple[Op, ...]:
    if isinstance(op, SeqOp):
        steps = op.children
        for i in range(len(steps) - 1, -1, -1):  # the cheap test first: most steps have no outlet
            if _has_outlet(steps[i]) and not (i + 1 < len(steps) and consumes_stream(steps[i + 1])):
                return (steps[i],)
        return ()
    return op.result_children()


def outlets(root: Op) -> frozenset[int]:
    """Ids (`id(op)`) of the ops whose chunks are the plan's streaming output."""
    return root.fact("outlets", _derive_outlets)  # type: ignore[return-value]  # asked at compile time and at the first run


def _derive_outlets(root: Op) -> frozenset[int]:
    if not any(isinstance(op, StreamOp) for op in walk(root)):
        return frozenset()  # nothing streams (most plans): one walk, no fact asked of any op
    found: set[int] = set()
    stack = [root]
    while stack:
        op = stack.pop()
        if stream_shape(op) is not None:
            found.add(id(op))
        else:
            stack.extend(c for c in _outlet_candidates(op) if _has_outlet(c))
    return frozenset(found)
