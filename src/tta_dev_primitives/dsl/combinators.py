"""Typed combinators: parallel fan-out, combine, branch and for_each.

The overloads give mypy the exact result type: `parallel(a, b)` is `Node[I, tuple[A, B]]` and
`combine(Ctor, a, b)` checks `Ctor(A, B)`, for 2 to 8 branches. There is deliberately no untyped
catch-all overload (it would hide mistakes); `parallel_all(nodes)` covers any number of nodes
of one type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, overload

from .composite import BranchNode, ConstNode, MapNode, ParallelNode
from .core import DEFAULT_MAP_CONCURRENCY, Node

__all__ = ["Exactly", "branch", "combine", "const", "for_each", "parallel", "parallel_all"]

I = TypeVar("I")
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
F = TypeVar("F")
G = TypeVar("G")
H = TypeVar("H")

_CI = TypeVar("_CI", contravariant=True)
_XO = TypeVar("_XO")


class Exactly(Protocol[_CI, _XO]):
    """A Node whose output type is pinned exactly (not widened), so two arms must agree."""

    @property
    def _tta_exact_out(self) -> Callable[[_XO], _XO]: ...

    @property
    def _tta_in(self) -> Callable[[_CI], None]: ...

@overload
def parallel(a: Node[I, A], b: Node[I, B], /, *, name: str | None = None) -> Node[I, tuple[A, B]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], /, *, name: str | None = None) -> Node[I, tuple[A, B, C]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F, G]]: ...
@overload
def parallel(a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], h: Node[I, H], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F, G, H]]: ...
def parallel(*branches: Node[I, object], name: str | None = None) -> Node[I, tuple[object, ...]]:
    """Run every branch concurrently on the same input; the result is the tuple of their results.

    If a branch fails, the others are cancelled and a ParallelError (an ExceptionGroup) names the
    failed branches. Typed for 2 to 8 branches; use `parallel_all` for a list of like nodes.
    """
    return ParallelNode(branches, name=name)


def parallel_all(branches: Sequence[Node[I, R]], *, name: str | None = None) -> Node[I, tuple[R, ...]]:
    """`parallel` over any number of nodes of one type: `Node[I, tuple[R, ...]]`."""
    return ParallelNode(tuple(branches), name=name)


@overload
def combine(ctor: Callable[[A, B], R], a: Node[I, A], b: Node[I, B], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F, G], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F, G, H], R], a: Node[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], h: Node[I, H], /, *, name: str | None = None) -> Node[I, R]: ...
def combine(ctor: Callable[..., R], *branches: Node[I, object], name: str | None = None) -> Node[I, R]:
    """Run the branches concurrently and build `ctor(*results)` (a class, dataclass or function).

    mypy checks that the constructor accepts the branch results in order.
    """
    return ParallelNode(branches, combiner=ctor, name=name)


def const(value: R, *, name: str | None = None) -> Node[object, R]:
    """A node that ignores its input and returns `value`, known to the compiler: a branch on a
    `const` predicate is pruned at compile time (feature flags, configuration)."""
    return ConstNode(value, name=name)


def branch(
    predicate: Callable[[I], bool] | Node[I, bool] | bool,
    then: Exactly[I, R],
    otherwise: Exactly[I, R],
    *,
    name: str | None = None,
) -> Node[I, R]:
    """Run `then` when `predicate(input)` is true, else `otherwise`.

    Both arms must produce the same type (mypy rejects arms of different types rather than
    widening to a common supertype); the predicate may be a function, a `Node[I, bool]`, or a
    constant (`True`/`False`/`const(flag)`), in which case the `prune` pass removes the dead arm.
    """
    test = ConstNode(predicate) if isinstance(predicate, bool) else predicate
    return BranchNode(test, then, otherwise, name=name)  # type: ignore[arg-type]


def for_each(body: Node[A, B], *, concurrency: int = DEFAULT_MAP_CONCURRENCY, name: str | None = None) -> Node[Sequence[A], list[B]]:
    """A node that runs `body` on every item of its list input, at most `concurrency` at a time.

    Results keep the order of the items; the first failure cancels the rest.
    """
    return MapNode(body, concurrency=concurrency, name=name)
