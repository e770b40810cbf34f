"""ParallelPrimitive / Parallel: the seed's list form of a fan-out, with list results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Never, TypeVar

from ...dsl.composite import ParallelNode
from ...dsl.core import Node
from ..compiled import CompiledPrimitive

__all__ = ["Parallel", "ParallelPrimitive", "results_list"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

Branch = Node[Never, object] | Callable[..., object]


def results_list(*results: object) -> list[object]:
    """The seed's result shape: branch results as a list, in branch order."""
    return list(results)


class ParallelPrimitive(ParallelNode[In, Out], CompiledPrimitive[In, Out]):
    """Run branches concurrently on the same input; returns their results as a list, in order.

    `Parallel([fetch_user, fetch_analytics])`; `a | b | c` on seed primitives builds one flat
    ParallelPrimitive. A failing branch cancels the others (ParallelError). For typed tuple
    results use `parallel(a, b)`.
    """

    def __init__(self: ParallelPrimitive[object, list[object]], branches: Sequence[Branch], *, name: str | None = None) -> None:
        ParallelNode.__init__(self, tuple(branches), combiner=results_list, name=name)  # type: ignore[arg-type]
        self.primitive_type = "parallel"


Parallel = ParallelPrimitive
