"""Structural nodes: sequence, parallel fan-out, branch, map and cast.

They only hold their children; their types are worked out by the compiler and their runtime
behaviour lives in the executor.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import TypeVar

from typing_extensions import Never

from ..errors import BuildError, ConfigError
from . import _fluent as fluent
from ._function import as_node
from ._core import AnyNode, Node

__all__ = ["BranchNode", "CastNode", "Chain", "ConstNode", "LoopNode", "MapNode", "ParallelNode"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

_MAX_JOINED = 60


def _joined(nodes: Sequence[AnyNode], sep: str, unit: str) -> str:
    """Children's names joined by `sep`, or `first sep ... sep last (n units)` when that is long:
    a composite's name stays O(1) however many children it has (and only the names it shows
    are derived, not those of all 10,000 steps of a long chain)."""
    if len(nodes) <= 2:
        return sep.join(n.name for n in nodes)
    names: list[str] = []
    length = 0
    for child in nodes:
        names.append(child.name)
        length += len(names[-1]) + len(sep)
        if length > _MAX_JOINED:
            return f"{names[0]}{sep}...{sep}{nodes[-1].name} ({len(nodes)} {unit})"
    return sep.join(names)


class Chain(Node[In, Out]):
    """Steps run one after another, each fed the previous result (`a >> b >> c`).

    `>>` extends an unnamed chain instead of nesting it, so a chain built with `>>` in a loop is
    one flat node whatever its length (no depth, linear memory). Chains share their step list:
    extending the newest chain appends in place; extending an older one copies its prefix.
    """

    primitive_type = "sequence"

    def __init__(self, steps: tuple[AnyNode, ...], *, name: str | None = None) -> None:
        if not steps:
            raise ConfigError(name or "sequence", "steps", "at least one node", list(steps))
        self._items = [as_node(s, where=f"sequence step {i}") for i, s in enumerate(steps)]
        self._count = len(self._items)
        self._set_name(name)

    @property
    def steps(self) -> tuple[AnyNode, ...]:
        """The steps, in order."""
        cached: tuple[AnyNode, ...] | None = getattr(self, "_steps", None)
        if cached is None or len(cached) != self._count:
            cached = self._steps = tuple(self._items[: self._count])
        return cached

    @property
    def primitives(self) -> tuple[AnyNode, ...]:
        """The steps, under the original package's name (its `a >> b` was a SequentialPrimitive)."""
        return self.steps

    def _open(self) -> bool:
        """Whether `>>` may extend this chain in place of nesting it: a plain chain with no name
        or declarations of its own (those make it a node the user refers to)."""
        return type(self) is Chain and getattr(self, "_tta_name", None) is None and getattr(self, "_tta_traits", None) is None

    @staticmethod
    def join(left: AnyNode, right: object) -> Chain[Never, object]:
        """`left >> right`, flat when either side is an open chain (`right` may be a function)."""
        step = right if isinstance(right, Node) else as_node(right, where=f"{left.name} >> ...")
        tail = step.steps if isinstance(step, Chain) and step._open() else (step,)
        chain: Chain[Never, object] = Chain.__new__(Chain)
        if isinstance(left, Chain) and left._open():
            items, count = left._items, left._count
            if len(items) == count:  # the newest chain over this list: share it
                items.extend(tail)
                if all(items[count + i] is t for i, t in enumerate(tail)):
                    chain._items, chain._count = items, count + len(tail)
                    return chain
            items = [*items[:count], *tail]  # an older chain, or another thread extended it first
        else:
            items = [left, *tail]
        chain._items, chain._count = items, len(items)
        return chain

    def _default_name(self) -> str:
        return _joined(self.steps, " >> ", "steps")


class ParallelNode(Node[In, Out]):
    """Branches run concurrently on the same input.

    Without a combiner the result is the tuple of branch results in branch order; with one it is
    `combiner(*results)`. A failing branch cancels its siblings.
    """

    primitive_type = "parallel"

    def __init__(
        self,
        branches: tuple[AnyNode, ...],
        *,
        combiner: Callable[..., object] | None = None,
        name: str | None = None,
    ) -> None:
        label = name or "parallel"
        if not branches:
            raise ConfigError(label, "branches", "at least one node", list(branches))
        self.branches = tuple(as_node(b, where=f"{label} branch {i}") for i, b in enumerate(branches))
        if combiner is not None and not callable(combiner):
            raise BuildError(f"{label}: combiner must be callable (a class or function), got {combiner!r}")
        self.combiner = combiner
        if combiner is not None:
            self.primitive_type = "combine"
        self._set_name(name)

    def _default_name(self) -> str:
        inner = _joined(self.branches, " | ", "branches")
        if self.combiner is None:
            return f"({inner})"
        return f"{getattr(self.combiner, '__name__', 'combine')}({inner})"


class BranchNode(Node[In, Out]):
    """Runs `if_true` when `predicate(input)` is true, else `if_false`."""

    primitive_type = "branch"

    def __init__(
        self,
        predicate: AnyNode,
        then: AnyNode,
        otherwise: AnyNode,
        *,
        out: object = None,
        name: str | None = None,
    ) -> None:
        label = name or "branch"
        self.predicate = as_node(predicate, where=f"{label} predicate")
        self.if_true = as_node(then, where=f"{label} then")
        self.if_false = as_node(otherwise, where=f"{label} otherwise")
        if out is not None and not (isinstance(out, type) or typing.get_origin(out) is not None):
            raise ConfigError(label, "out", "a type (the arms' shared result type)", out)
        self.out = out
        """The declared result type (`branch(..., out=T)`), or None for the arms' own types."""
        self._set_name(name)

    def _default_name(self) -> str:
        return f"{self.predicate.name} ? {self.if_true.name} : {self.if_false.name}"


class MapNode(Node[In, Out]):
    """Runs `body` on each item of a list input, at most `concurrency` at once; keeps order."""

    primitive_type = "map"

    def __init__(self, body: AnyNode, *, concurrency: int, name: str | None = None) -> None:
        if isinstance(body, (list, tuple)):  # `await node.map(items)`: the plan's map, asked of a node
            from ..errors import BuildError

            raise BuildError(
                f"{name or 'map'} body: expected a Node or a callable, got {type(body).__name__} {body!r}; "
                "node.map(body) maps a node over its input's items; to run a node over many inputs, "
                "compile it first: `await compile(node).map(items)`"
            )
        self.body = as_node(body, where=f"{name or 'map'} body")
        label = name or f"map({self.body.name})"
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency <= 0:
            raise ConfigError(label, "concurrency", "an int >= 1", concurrency)
        self.concurrency = concurrency
        self._set_name(name)

    def _default_name(self) -> str:
        return f"map({self.body.name})"


LOOP_LIMIT_ACTIONS = ("raise", "return")


class LoopNode(Node[In, Out]):
    """Runs `body` on its own output until `until(state)` holds, at most `max_iterations` times."""

    primitive_type = "loop"

    def __init__(
        self, body: AnyNode, until: AnyNode | Callable[..., object], *, max_iterations: int, on_limit: str = "raise", name: str | None = None
    ) -> None:
        self.body = as_node(body, where=f"{name or 'loop'} body")
        self.until = as_node(until, where=f"{name or 'loop'} until")
        label = name or f"loop({self.body.name})"
        if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) or max_iterations < 1:
            raise ConfigError(label, "max_iterations", "an int >= 1 (every loop is bounded)", max_iterations)
        if on_limit not in LOOP_LIMIT_ACTIONS:
            raise ConfigError(label, "on_limit", "'raise' (LoopLimitError) or 'return' (the last state)", on_limit)
        self.max_iterations = max_iterations
        self.on_limit = on_limit
        self._set_name(name)

    def _default_name(self) -> str:
        return f"loop({self.body.name})"


class CastNode(Node[In, Out]):
    """`inner` with its output declared as `target`, unchecked (see `Node.cast`)."""

    primitive_type = "cast"

    def __init__(self, inner: AnyNode, target: object) -> None:
        self.inner = inner
        self.target = target

    def _default_name(self) -> str:
        return self.inner.name


class ConstNode(Node[In, Out]):
    """Ignores its input and returns `value`; the compiler knows the value (and can prune
    branches that test it)."""

    primitive_type = "const"

    def __init__(self, value: object, *, name: str | None = None) -> None:
        self.value = value
        self._set_name(name)

    def _default_name(self) -> str:
        # never the value itself: names become span names and metric labels, and a value built
        # from request data would make one per request (the value is in EXPLAIN's params)
        if self.value is None or isinstance(self.value, bool):
            return repr(self.value)  # three possible names: readable and bounded
        return f"const {type(self.value).__name__}"


def _map_after(node: AnyNode, body: AnyNode, concurrency: int) -> AnyNode:
    """`node.map(body)`: `node`, then `body` over each item of its result."""
    return Chain.join(node, MapNode(body, concurrency=concurrency))


fluent.provide("join", Chain.join)
fluent.provide("map", _map_after)
fluent.provide("loop", LoopNode)
fluent.provide("cast", CastNode)
