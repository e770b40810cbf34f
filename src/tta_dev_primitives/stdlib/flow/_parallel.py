"""ParallelPrimitive / Parallel: the original package's list form of a fan-out, with list results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Never, TypeVar

from ...dsl import _fluent as fluent
from ...dsl._composite import ParallelNode
from ...dsl._core import Node
from .._compiled import CompiledPrimitive, one_list

__all__ = ["Parallel", "ParallelPrimitive", "results_list"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")

Branch = Node[Never, object] | Callable[..., object]


def results_list(*results: object) -> list[Any]:
    """The original package's result shape: branch results as a list, in branch order. Typed `list[Any]`
    for the compiler, which then leaves the edge after it unchecked: the list is made fresh for
    its consumer, which may take it as `list[object]` as well as `list[Finding]` (a runtime
    check is invariant, as lists are); mypy types `a | b` as `list[A | B]`."""
    return list(results)


class ParallelPrimitive(ParallelNode[In, Out], CompiledPrimitive[In, Out]):
    """Run branches concurrently on the same input; returns their results as a list, in order.

    `Parallel([fetch_user, fetch_analytics])`; `a | b | c` on `WorkflowPrimitive`s builds one flat
    ParallelPrimitive. A failing branch cancels the others (ParallelError). For typed tuple
    results use `parallel(a, b)`.
    """

    def __init__(
        self: ParallelPrimitive[object, list[object]],
        branches: Sequence[Branch] | None = None,
        *,
        name: str | None = None,
        primitives: Sequence[Branch] | None = None,
    ) -> None:
        """`primitives=` is the original package's name for `branches`."""
        chosen = one_list("ParallelPrimitive", "branches", branches, primitives)
        ParallelNode.__init__(self, tuple(chosen), combiner=results_list, name=name)  # type: ignore[arg-type]
        self.primitive_type = "parallel"

    @property
    def primitives(self) -> tuple[object, ...]:
        """The branches (the original package's name)."""
        return tuple(self.branches)

    if TYPE_CHECKING:  # `(a | b) | c` is one flat list of three results, not a list within a list

        def __or__(self: ParallelPrimitive[A, list[B]], other: Node[A, C]) -> ParallelPrimitive[A, list[B | C]]: ...


Parallel = ParallelPrimitive


def _either(left: Node[Never, object], right: Node[Never, object]) -> ParallelPrimitive[Never, list[object]]:
    """`a | b | c` of `WorkflowPrimitive`s: one flat ParallelPrimitive of the operands (an unnamed
    ParallelPrimitive operand gives its branches)."""

    def operands(side: object) -> tuple[object, ...]:
        if isinstance(side, ParallelPrimitive) and getattr(side, "_tta_name", None) is None:
            return side.branches
        return (side,)

    return ParallelPrimitive([*operands(left), *operands(right)])  # type: ignore[list-item]


fluent.provide("parallel_primitive", _either)
