"""The original `core.base`: WorkflowContext, WorkflowPrimitive and LambdaPrimitive, with the
original's composition: `a >> b` is a `core.sequential.SequentialPrimitive` and `a | b` a
`core.parallel.ParallelPrimitive`, whose runs keep the original's bookkeeping (checkpoints,
per-step metrics, child contexts per parallel branch).

These classes are Nodes: they compose with the rest of the library, compile into plans and are
type checked at their edges. The top-level `WorkflowPrimitive` is our own base, whose `>>` builds
an optimizable sequence; code written for the original package imports this module instead.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..context import WorkflowContext
from ..dsl._core import Node
from ..stdlib._base import LambdaPrimitive as _NodeLambda
from ..stdlib._base import WorkflowPrimitive as _NodePrimitive

if typing.TYPE_CHECKING:
    from .parallel import ParallelPrimitive
    from .sequential import SequentialPrimitive

__all__ = ["LambdaPrimitive", "WorkflowContext", "WorkflowPrimitive"]

T = TypeVar("T", contravariant=True)
U = TypeVar("U", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


COMPOSITES: dict[str, Callable[[list[Node[Any, Any]]], Node[Any, Any]]] = {}
"""The classes `>>` and `|` build ("sequential", "parallel"), registered by `core.sequential` and
`core.parallel` when imported (the `core` package imports both), so this module imports neither."""


class WorkflowPrimitive(_NodePrimitive[T, U]):
    """The original base class: implement `async execute(input_data, context)`.

    `>>` and `|` build the original's SequentialPrimitive and ParallelPrimitive.
    """

    def __rshift__(self: WorkflowPrimitive[A, B], other: Node[B, C]) -> SequentialPrimitive[A, C]:  # type: ignore[override]
        """`self >> other`: the original's SequentialPrimitive of both (flattened)."""
        return COMPOSITES["sequential"]([self, other])  # type: ignore[return-value]

    def __or__(self: WorkflowPrimitive[A, B], other: Node[A, C]) -> ParallelPrimitive[A, list[B | C]]:  # type: ignore[override]
        """`self | other`: the original's ParallelPrimitive of both, with a list of results."""
        return COMPOSITES["parallel"]([self, other])  # type: ignore[return-value]

    def __ror__(self: WorkflowPrimitive[A, B], other: Node[A, C]) -> ParallelPrimitive[A, list[C | B]]:
        """`node | self` for one of our Nodes (which has no `|` of its own): the original's
        ParallelPrimitive of both, as `self | node` would be, in the written order."""
        if not isinstance(other, Node):
            return NotImplemented
        return COMPOSITES["parallel"]([other, self])  # type: ignore[return-value]


class LambdaPrimitive(_NodeLambda[T, U], WorkflowPrimitive[T, U], Generic[T, U]):
    """A primitive from a function `func(input, context)` (or `func(input)`), async or sync."""

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function (the original's attribute)."""
        return self.info.is_async
