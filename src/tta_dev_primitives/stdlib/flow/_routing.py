"""Routing by key: SwitchPrimitive (a selector picks a case) and RouterPrimitive (tiers, a router
function or a policy such as cheapest-meeting-quality, lowest latency or cost with a budget).

Both lower to one RouteOp: child 0 computes the key, the other children are the routes.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import ClassVar, Generic, Never, Protocol, TypeVar

import attrs

from ...compiler._ir import Edge, Op
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...compiler._types import most_specific, union_of
from ...dsl._combinators import Exactly
from ...dsl._core import AnyNode, Node
from ...dsl._function import FunctionNode, as_node
from ...errors import ConfigError, RouteNotFoundError
from ...executor._emit import Emitter, Step, emitter
from .._base import seed_callable
from .._compiled import CompiledPrimitive

__all__ = ["RouteNotFoundError", "RouteObserver", "RouterPrimitive", "Router", "Switch", "SwitchPrimitive"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
K = TypeVar("K", bound=Hashable)


class RouteObserver(Protocol):
    """Told how each routed call went (policies learn latency and spend from it)."""

    def observe(self, route: str, seconds: float, ok: bool) -> None:
        """A call through `route` took `seconds` and succeeded (`ok`) or failed."""
        ...


class RoutingNode(Node[In, Out]):
    """A selector node computes a key; the route with that key (or the default) runs."""

    primitive_type = "switch"

    def __init__(
        self,
        selector: AnyNode,
        routes: Mapping[Hashable, AnyNode],
        *,
        default: Hashable | None = None,
        observer: RouteObserver | None = None,
        owner: str,
        name: str | None = None,
    ) -> None:
        if not isinstance(routes, Mapping) or not routes:
            raise ConfigError(owner, "routes", "a non-empty mapping of key -> node", routes)
        self.selector = selector
        self.routes: dict[Hashable, AnyNode] = {k: as_node(v, where=f"{owner} route {k!r}") for k, v in routes.items()}
        if default is not None and default not in self.routes:
            raise ConfigError(owner, "default", f"one of the route keys {list(self.routes)}", default)
        self.default = default
        self.observer = observer
        self._set_name(name)

    def _default_name(self) -> str:
        return f"{type(self).__name__}({' | '.join(str(k) for k in self.routes)})"


@attrs.frozen(kw_only=True, eq=False)
class RouteOp(Op):
    """children = (selector, *routes); `keys[i]` is the key of route i."""

    kind: ClassVar[str] = "route"
    selects_one: ClassVar[bool] = True

    keys: tuple[Hashable, ...]
    default: Hashable | None
    observer: RouteObserver | None

    def params(self) -> dict[str, object]:
        out: dict[str, object] = {"routes": [str(k) for k in self.keys]}
        if self.default is not None:
            out["default"] = str(self.default)
        if self.observer is not None:
            out["policy"] = type(self.observer).__name__
        return out

    def edges(self) -> Iterator[Edge]:
        yield from self._fan_out(self.children, "input")

    def result_children(self) -> tuple[Op, ...]:
        return self.children[1:]


@lowering(RoutingNode)
def _lower_routing(node: RoutingNode[Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    children = (lw.lower(node.selector), *(lw.lower(r) for r in node.routes.values()))
    return RouteOp(
        **ident,
        in_type=most_specific(c.in_type for c in children),
        out_type=union_of(c.out_type for c in children[1:]),
        children=children,
        keys=tuple(node.routes),
        default=node.default,
        observer=node.observer,
    )


@emitter(RouteOp)
def _emit_route(op: RouteOp, em: Emitter) -> Step:
    select = em.emit_async(op.children[0])
    table = {key: em.emit_async(child) for key, child in zip(op.keys, op.children[1:], strict=True)}
    fallback = table[op.default] if op.default is not None else None
    observer, name, keys = op.observer, op.name, list(op.keys)

    def pick(key: object) -> tuple[Hashable, typing.Callable[[object], typing.Awaitable[object]]]:
        """The route for `key` and the key it is filed under (the default's when unknown)."""
        route = table.get(key) if isinstance(key, Hashable) else None
        if route is not None:
            return key, route
        if fallback is None:
            raise RouteNotFoundError(name, key, keys)
        return op.default, fallback

    if observer is None:

        async def run(x: object) -> object:
            return await pick(await select(x))[1](x)

        return Step(run, True)

    async def run_observed(x: object) -> object:
        label, route = pick(await select(x))
        start = time.perf_counter()
        try:
            result = await route(x)
        except Exception:
            observer.observe(str(label), time.perf_counter() - start, False)
            raise
        observer.observe(str(label), time.perf_counter() - start, True)
        return result

    return Step(run_observed, True)


class SwitchPrimitive(RoutingNode[In, Out], CompiledPrimitive[In, Out], Generic[In, Out]):
    """`Switch(selector, {"a": node_a, "b": node_b}, default="a")`: `selector(input)` picks a case."""

    primitive_type = "switch"

    def __init__(
        self: SwitchPrimitive[A, B],
        selector: Node[A, Hashable] | Callable[..., object],
        cases: Mapping[Hashable, Exactly[A, B]],
        default: Hashable | None = None,
        *,
        name: str | None = None,
    ) -> None:
        RoutingNode.__init__(
            self, seed_callable(selector, where="Switch selector"), cases, default=default, owner="Switch", name=name  # type: ignore[arg-type]
        )


Switch = SwitchPrimitive


def tier_selector(tier_key: str) -> Callable[[object], object]:
    """A selector reading the route key from `input[tier_key]` (mappings) or `input.tier_key`."""

    def tier(request: object) -> object:
        if isinstance(request, Mapping):
            return request.get(tier_key)
        return getattr(request, tier_key, None)

    tier.__name__ = f"select[{tier_key}]"
    return tier


class RoutingPolicy(RouteObserver, Protocol):
    """Chooses a route for each request and learns from how calls went."""

    def choose(self, request: object, routes: list[str]) -> str:
        """The route (one of `routes`) to send `request` to."""
        ...


class RouterPrimitive(RoutingNode[In, Out], CompiledPrimitive[In, Out], Generic[In, Out]):
    """`Router({"fast": a, "balanced": b, "quality": c})`: route each request.

    The key comes from `policy.choose(request, routes)` if a policy is given, else from
    `router_fn(request)`, else from `request["tier"]` (or `request.tier`; see `tier_key`). An
    unknown key uses `default` when set, else raises RouteNotFoundError listing the routes.
    """

    primitive_type = "router"

    def __init__(
        self: RouterPrimitive[A, B],
        routes: Mapping[str, Exactly[A, B]],
        router_fn: Callable[[A], str] | None = None,
        default: str | None = None,
        *,
        policy: RoutingPolicy | None = None,
        tier_key: str = "tier",
        name: str | None = None,
    ) -> None:
        if router_fn is not None and policy is not None:
            raise ConfigError("Router", "policy", "either router_fn or policy, not both", policy)
        keys = list(routes) if isinstance(routes, Mapping) else []
        selector: AnyNode
        if policy is not None:
            validate = getattr(policy, "validate_routes", None)
            if callable(validate):
                validate(keys)
            choose = policy.choose

            def by_policy(request: object) -> str:
                return choose(request, keys)

            by_policy.__name__ = f"{type(policy).__name__}.choose"
            selector = FunctionNode(by_policy)
        elif router_fn is not None:
            selector = seed_callable(router_fn, where="Router router_fn")
        else:
            selector = FunctionNode(tier_selector(tier_key))
        RoutingNode.__init__(
            self, selector, routes, default=default, observer=policy, owner="Router", name=name  # type: ignore[arg-type]
        )
        self.policy = policy


Router = RouterPrimitive
