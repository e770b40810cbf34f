"""ConditionalPrimitive / Conditional: the original package's if/else; passes the input through without else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Never, TypeVar

from ...dsl._composite import BranchNode
from ...dsl._core import Node
from ...dsl._function import FunctionNode
from .._base import seed_callable
from .._compiled import CompiledPrimitive

__all__ = ["Conditional", "ConditionalPrimitive"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
T = TypeVar("T")


def passthrough(value: T) -> T:
    """The else-arm of a Conditional without one: return the input unchanged."""
    return value


class ConditionalPrimitive(BranchNode[In, Out], CompiledPrimitive[In, Out]):
    """`Conditional(condition, then_primitive, else_primitive=None)`.

    `condition(input)` or `condition(input, context)` (sync or async, or a `Node[I, bool]`) picks
    the arm; without an else arm the input passes through unchanged.
    """

    primitive_type = "conditional"

    def __init__(
        self: ConditionalPrimitive[object, object],
        condition: Node[Never, object] | Callable[..., object],
        then_primitive: Node[Never, object] | Callable[..., object],
        else_primitive: Node[Never, object] | Callable[..., object] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        otherwise = else_primitive if else_primitive is not None else FunctionNode(passthrough)
        BranchNode.__init__(self, seed_callable(condition, where="Conditional condition"), then_primitive, otherwise, name=name)  # type: ignore[arg-type]


Conditional = ConditionalPrimitive
