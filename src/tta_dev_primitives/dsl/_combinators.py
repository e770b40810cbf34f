"""Typed combinators: parallel fan-out, combine, branch and for_each.

The overloads give mypy the exact result type: `parallel(a, b)` is `Node[I, tuple[A, B]]` and
`combine(Ctor, a, b)` checks `Ctor(A, B)`, for 2 to 8 branches. There is deliberately no untyped
catch-all overload (it would hide mistakes); `parallel_all(nodes)` covers any number of nodes
of one type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TypeVar, final, overload

from ._composite import BranchNode, ConstNode, LoopNode, MapNode, ParallelNode
from ._core import DEFAULT_MAP_CONCURRENCY, Node

__all__ = [
    "Exactly", "Pinned", "UseParallelAllForMoreThan8Branches", "branch", "combine", "const", "for_each", "loop", "parallel",
    "parallel_all",
]

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
_PI = TypeVar("_PI")
_XO = TypeVar("_XO")


class Exactly(Protocol[_CI, _XO]):
    """A Node whose output type is pinned exactly (not widened), so two arms must agree."""

    @property
    def _tta_exact_out(self) -> Callable[[_XO], _XO]: ...

    @property
    def _tta_in(self) -> Callable[[_CI], None]: ...


class Pinned(Protocol[_PI, _XO]):
    """A Node whose input and output types are taken exactly as declared.

    The first branch of `parallel`/`combine` and the `then` arm of `branch` are pinned: they
    fix the shared input type and (for `branch`) the result type, and every other branch must
    fit them. Without the pin, mypy would solve `Node[str, ...]` and `Node[bytes, ...]` to a
    silent `Node[Never, ...]` instead of reporting the bad line.
    """

    @property
    def _tta_exact_in(self) -> Callable[[_PI], _PI]: ...

    @property
    def _tta_exact_out(self) -> Callable[[_XO], _XO]: ...


@final
class UseParallelAllForMoreThan8Branches:
    """Not a node. `parallel` and `combine` are typed for 2 to 8 branches; type checkers point
    here when given more: use `parallel_all([...])` (one output type) or nest `parallel`s."""

@overload
def parallel(a: Pinned[I, A], b: Node[I, B], /, *, name: str | None = None) -> Node[I, tuple[A, B]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], /, *, name: str | None = None) -> Node[I, tuple[A, B, C]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F, G]]: ...
@overload
def parallel(a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], h: Node[I, H], /, *, name: str | None = None) -> Node[I, tuple[A, B, C, D, E, F, G, H]]: ...
@overload
def parallel(a: Node[I, object], b: Node[I, object], c: Node[I, object], d: Node[I, object], e: Node[I, object], f: Node[I, object], g: Node[I, object], h: Node[I, object], i: UseParallelAllForMoreThan8Branches, /, *more: object, name: str | None = None) -> UseParallelAllForMoreThan8Branches: ...
def parallel(*branches: Node[I, object], name: str | None = None) -> Node[I, tuple[object, ...]]:  # type: ignore[misc]
    """Run every branch concurrently on the same input; the result is the tuple of their results.

    If a branch fails, the others are cancelled and a ParallelError (an ExceptionGroup) names the
    failed branches. Typed for 2 to 8 branches; use `parallel_all` for a list of like nodes.
    """
    return ParallelNode(branches, name=name)


def parallel_all(branches: Sequence[Node[I, R]], *, name: str | None = None) -> Node[I, tuple[R, ...]]:
    """`parallel` over any number of nodes of one type: `Node[I, tuple[R, ...]]`."""
    return ParallelNode(tuple(branches), name=name)


@overload
def combine(ctor: Callable[[A, B], R], a: Pinned[I, A], b: Node[I, B], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F, G], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[[A, B, C, D, E, F, G, H], R], a: Pinned[I, A], b: Node[I, B], c: Node[I, C], d: Node[I, D], e: Node[I, E], f: Node[I, F], g: Node[I, G], h: Node[I, H], /, *, name: str | None = None) -> Node[I, R]: ...
@overload
def combine(ctor: Callable[..., R], a: Node[I, object], b: Node[I, object], c: Node[I, object], d: Node[I, object], e: Node[I, object], f: Node[I, object], g: Node[I, object], h: Node[I, object], i: UseParallelAllForMoreThan8Branches, /, *more: object, name: str | None = None) -> UseParallelAllForMoreThan8Branches: ...
def combine(ctor: Callable[..., R], *branches: Node[I, object], name: str | None = None) -> Node[I, R]:  # type: ignore[misc]
    """Run the branches concurrently and build `ctor(*results)` (a class, dataclass or function).

    mypy checks that the constructor accepts the branch results in order.
    """
    return ParallelNode(branches, combiner=ctor, name=name)


def const(value: R, *, name: str | None = None) -> Node[object, R]:
    """A node that ignores its input and returns `value`, known to the compiler: a branch on a
    `const` predicate is pruned at compile time (feature flags, configuration)."""
    return ConstNode(value, name=name)


@overload
def branch(
    predicate: Callable[[I], bool] | Node[I, bool] | bool,
    then: Pinned[I, R],
    otherwise: Node[I, R],
    *,
    name: str | None = None,
) -> Node[I, R]: ...
@overload
def branch(
    predicate: Callable[[I], bool] | Node[I, bool] | bool,
    then: Node[I, R],
    otherwise: Node[I, R],
    *,
    out: type[R],
    name: str | None = None,
) -> Node[I, R]: ...
def branch(
    predicate: Callable[[I], bool] | Node[I, bool] | bool,
    then: Pinned[I, R] | Node[I, R],
    otherwise: Node[I, R],
    *,
    out: type[R] | None = None,
    name: str | None = None,
) -> Node[I, R]:
    """Run `then` when `predicate(input)` is true, else `otherwise`.

    `then` fixes the input and result types; `otherwise` must fit them (mypy and pyright report
    the arm that does not, rather than widening to a common supertype). For arms whose outputs
    only share a supertype (Dog, Cat -> Animal) say so with `out=Animal`; the compiler checks
    both arms against it. The predicate may be a function, a `Node[I, bool]`, or a constant
    (`True`/`False`/`const(flag)`), in which case the `prune` pass removes the dead arm.
    """
    test = ConstNode(predicate) if isinstance(predicate, bool) else predicate
    return BranchNode(test, then, otherwise, out=out, name=name)  # type: ignore[arg-type]


S = TypeVar("S")


def loop(
    body: Node[S, S],
    *,
    until: Callable[[S], bool] | Node[S, bool],
    max_iterations: int,
    on_limit: Literal["raise", "return"] = "raise",
    name: str | None = None,
) -> Node[S, S]:
    """Run `body` on its own output until `until(state)` is true: a bounded loop (an agent's
    model -> tools -> model turns). `until` is checked before each iteration, so a state that
    already satisfies it passes through. After `max_iterations` runs of `body` without `until`
    holding, raises LoopLimitError carrying the last state, or returns it (`on_limit="return"`).

    The bound is required: the compiler multiplies the body's worst-case calls, latency and cost
    by it, and EXPLAIN shows it.
    """
    return LoopNode(body, until, max_iterations=max_iterations, on_limit=on_limit, name=name)


def for_each(body: Node[A, B], *, concurrency: int = DEFAULT_MAP_CONCURRENCY, name: str | None = None) -> Node[Sequence[A], list[B]]:
    """A node that runs `body` on every item of its list input, at most `concurrency` at a time.

    Results keep the order of the items; the first failure cancels the rest.
    """
    return MapNode(body, concurrency=concurrency, name=name)
