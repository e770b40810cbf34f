"""SequentialPrimitive / Sequential: the seed's list form of `a >> b >> c`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Never, TypeVar

from ...dsl.composite import Chain
from ...dsl.core import Node
from ..compiled import CompiledPrimitive

__all__ = ["Sequential", "SequentialPrimitive"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

Step = Node[Never, object] | Callable[..., object]


class SequentialPrimitive(Chain[In, Out], CompiledPrimitive[In, Out]):
    """Run steps in order, each fed the previous result: `Sequential([load, process, save])`.

    Steps may be nodes, primitives or plain functions (wrapped with `node()`); the compiler checks
    the edges between them like any `>>` chain. For a statically typed chain, use `>>`.
    """

    def __init__(self: SequentialPrimitive[object, object], steps: Sequence[Step], *, name: str | None = None) -> None:
        Chain.__init__(self, tuple(steps), name=name)  # type: ignore[arg-type]


Sequential = SequentialPrimitive
