"""SequentialPrimitive / Sequential: the original package's list form of `a >> b >> c`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Never, TypeVar, overload

from ...dsl._composite import Chain
from ...dsl._core import Node
from .._compiled import CompiledPrimitive, one_list

__all__ = ["Sequential", "SequentialPrimitive", "pipe"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

Step = Node[Never, object] | Callable[..., object]


class SequentialPrimitive(Chain[In, Out], CompiledPrimitive[In, Out]):
    """Run steps in order, each fed the previous result: `Sequential([load, process, save])`.

    Steps may be nodes, primitives or plain functions (wrapped with `node()`); the compiler checks
    the edges between them like any `>>` chain. For a statically typed chain, use `>>`.
    """

    def __init__(
        self: SequentialPrimitive[object, object], steps: Sequence[Step] | None = None, *, name: str | None = None, primitives: Sequence[Step] | None = None
    ) -> None:
        """`primitives=` is the original package's name for `steps`."""
        Chain.__init__(self, tuple(one_list("SequentialPrimitive", "steps", steps, primitives)), name=name)  # type: ignore[arg-type]


Sequential = SequentialPrimitive

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
F = TypeVar("F")
G = TypeVar("G")
H = TypeVar("H")
I = TypeVar("I")  # noqa: E741
J = TypeVar("J")
K = TypeVar("K")


@overload
def pipe(a: Node[A, B], b: Node[B, C], /, *, name: str | None = None) -> SequentialPrimitive[A, C]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], /, *, name: str | None = None) -> SequentialPrimitive[A, D]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], /, *, name: str | None = None) -> SequentialPrimitive[A, E]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], /, *, name: str | None = None) -> SequentialPrimitive[A, F]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], f: Node[F, G], /, *, name: str | None = None) -> SequentialPrimitive[A, G]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], f: Node[F, G], g: Node[G, H], /, *, name: str | None = None) -> SequentialPrimitive[A, H]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], f: Node[F, G], g: Node[G, H], h: Node[H, I], /, *, name: str | None = None) -> SequentialPrimitive[A, I]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], f: Node[F, G], g: Node[G, H], h: Node[H, I], i: Node[I, J], /, *, name: str | None = None) -> SequentialPrimitive[A, J]: ...
@overload
def pipe(a: Node[A, B], b: Node[B, C], c: Node[C, D], d: Node[D, E], e: Node[E, F], f: Node[F, G], g: Node[G, H], h: Node[H, I], i: Node[I, J], j: Node[J, K], /, *, name: str | None = None) -> SequentialPrimitive[A, K]: ...
def pipe(*steps: Node[Never, object], name: str | None = None) -> SequentialPrimitive[Any, Any]:
    """`pipe(a, b, c)`: the chain `a >> b >> c` as one flat call, typed for 2 to 10 steps.

    The same plan as `>>`, for long pipelines: a type checker reads a call with many arguments
    more easily than a deeply nested `>>` expression (pyright stops at about 300 `>>`), reports a
    mistake on the argument that does not fit, and nests (`pipe(pipe(...), pipe(...))`). The
    result is a `Sequential`, so the original package's `await ... .execute(x)` works on it too.
    """
    return SequentialPrimitive(steps, name=name)
