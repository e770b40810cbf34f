"""Node[In, Out]: the typed unit of composition.

A node is an immutable description of work. Composing nodes builds a graph; `compile()` turns the
graph into a Plan, and the executor runs the Plan. Nothing here runs anything.
"""

from __future__ import annotations

import copy
import enum
import functools
import threading
from contextvars import ContextVar
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast, overload

import attrs
from typing_extensions import Never

from typing_extensions import Self

from .._deep import depth_independent
from .._validate import check_finite_non_negative, check_int, check_name
from ._location import SourceLocation, capture_location
from ._fluent import builder
from ._traits import NO_TRAITS, Traits
from ..errors import ConfigError

if TYPE_CHECKING:
    import random

    from ..plan import Plan
    from ..context import RunContext
    from ..executor.backends import Backend
    from ..stdlib.cache import Cache, CacheStore
    from ..stdlib._clock import Clock
    from ..stdlib._guard import GuardPolicy
    from ..stdlib.recovery._budget import RetryBudget
    from ..stdlib.recovery._retry import RetryOn
    from ._streaming import StreamNode

__all__ = ["MAX_NAME", "AnyNode", "Node", "shorten"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
K = TypeVar("K")

DEFAULT_MAP_CONCURRENCY = 16

_PLAN_ONLY = {
    "run": "await plan.run(x)",
    "run_sync": "plan.run_sync(x)",
    "stream": "async with plan.stream(x) as chunks: ...",
    "events": "async with plan.events(x) as events: ...",
    "explain": "print(plan.explain())",
    "resume": "await plan.resume(token, answer, journal=...)",
    "pending": "await plan.pending(run_id, journal=...)",
    "fingerprint": "plan.fingerprint()",
    "to_json": "plan.to_json()",
    "to_dict": "plan.to_dict()",
    "to_mermaid": "plan.to_mermaid()",
    "to_dot": "plan.to_dot()",
    "render": "plan.render(path)",
    "ops": "plan.ops()",
    "lints": "plan.lints",
    "edges": "plan.edges",
    "analysis": "plan.analysis",
    "with_hooks": "plan.with_hooks(hook)",
    "as_tool": "plan.as_tool(description=...)",
}
"""Plan methods a newcomer calls on a node, and how to call them on its plan."""


class _PropertyFailure(threading.local):
    """The AttributeError a node property raised last, kept until `__getattr__` (which Python
    calls next, the error itself lost) raises it again."""

    failed: tuple[int, str, AttributeError] | None = None


_property_failure = _PropertyFailure()


def _reporting(name: str, prop: property) -> property:
    """`prop`, with an AttributeError from its getter kept for `__getattr__` to raise (as it is:
    the property's own message), instead of Python's "has no attribute" of ours."""
    getter = prop.fget
    if getter is None:
        return prop

    @functools.wraps(getter)
    def get(self: object) -> object:
        try:
            return getter(self)
        except AttributeError as error:
            _property_failure.failed = (id(self), name, error)
            raise

    return property(get, prop.fset, prop.fdel, prop.__doc__)


def _failed_property(node: object, attribute: str) -> object:
    """A class attribute of `node` raised AttributeError, which Python turned into a
    `__getattr__` call: the property's own error again (kept by `_reporting`); for any other
    descriptor, the attribute looked up once more for its own error."""
    failed, _property_failure.failed = _property_failure.failed, None
    if failed is not None and failed[0] == id(node) and failed[1] == attribute:
        raise failed[2]
    return object.__getattribute__(node, attribute)


class _Default(enum.Enum):
    """A default told apart from any value a caller could pass (`.cached(ttl=None)` too)."""

    HOUR = "an hour"


class Node(Generic[In, Out]):
    """A typed step from `In` to `Out`.

    `In` is contravariant and `Out` covariant: a `Node[object, bool]` can stand wherever a
    `Node[int, object]` is expected. Every node records the file:line where it was built and has a
    readable name (the function's name by default; override with `.named()`).
    """

    primitive_type: str = "node"
    """What kind of primitive this is, for EXPLAIN and telemetry (`primitive.type`)."""

    _tta_location: SourceLocation
    # Unset until a node is named, declares something or derives its name: None here, so that
    # reading them on a node that has not is a plain lookup, not a trip through __getattr__
    # (which builds an AttributeError each time: 30k of them lowering a 10k-step chain).
    _tta_name: str | None = None
    _tta_traits: Traits | None = None
    _tta_default_name: str | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):  # a failing property keeps its own error (see __getattr__)
            if type(value) is property:
                setattr(cls, name, _reporting(name, value))

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        # Captured here rather than in __init__ so subclasses that skip super().__init__() keep it.
        self = super().__new__(cls)
        self._tta_location = capture_location()
        return self

    if not TYPE_CHECKING:  # for mypy a node has no such attributes: `node.run(x)` stays an error

        def __getattr__(self, attribute: str) -> object:
            """Only reached when an attribute is missing: a Plan's method asked of a node (the
            newcomer's `node.run(x)`) says to compile the node first."""
            if any(attribute in vars(klass) for klass in type(self).__mro__):
                return _failed_property(self, attribute)
            if attribute in _PLAN_ONLY:
                try:
                    label = f"node {self.name!r}"
                except Exception:  # noqa: BLE001 - a half-built node still gets the hint
                    label = "this node"
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {attribute!r}: {label} is a node, not a plan; "
                    f"compile it first: `plan = compile(node)`, then `{_PLAN_ONLY[attribute]}`",
                    name=attribute,
                    obj=self,
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}", name=attribute, obj=self)

    # -- identity -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The node's readable name, used in EXPLAIN, errors and telemetry."""
        explicit: str | None = getattr(self, "_tta_name", None)
        if explicit is not None:
            return explicit
        derived: str | None = getattr(self, "_tta_default_name", None)
        if derived is None:  # computed once: names of deep graphs would otherwise cost O(n^2)
            derived = _derive_name(self)
            try:
                self._tta_default_name = derived
            except AttributeError:  # a subclass with __slots__: recompute next time
                pass
        return derived

    def _default_name(self) -> str:
        return type(self).__name__

    @property
    def location(self) -> SourceLocation:
        """The file:line of user code where this node was built."""
        loc: SourceLocation | None = getattr(self, "_tta_location", None)
        return loc if loc is not None else SourceLocation("<unknown>", 0)

    def named(self, name: str) -> Self:
        """A copy of this node with another name."""
        clone = self._copy()
        clone._set_name(name)
        return clone

    def _copy(self) -> Self:
        """A shallow copy: another node, so not the plan `execute` compiled for this one."""
        clone = copy.copy(self)
        clone.__dict__.pop(_SEED_PLAN, None)
        return clone

    def _set_name(self, name: str | None) -> None:
        """Set an explicit name (None keeps the default), rejecting anything but a non-empty str."""
        if name is None:
            return
        self._tta_name = check_name(self.name, "name", name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} at {self.location}>"

    @property
    def traits(self) -> Traits:
        """What this node declared about itself (see `declare`)."""
        traits: Traits | None = getattr(self, "_tta_traits", None)
        return traits if traits is not None else NO_TRAITS

    def declare(
        self,
        *,
        pure: bool | None = None,
        idempotent: bool | None = None,
        reads: Iterable[str] | None = None,
        writes: Iterable[str] | None = None,
        passthrough: bool | None = None,
        cost: float | None = None,
        max_latency: float | None = None,
        streaming: bool | None = None,
        model_calls: int | None = None,
    ) -> Self:
        """A copy of this node with more declarations (see Traits); unspecified ones are kept.

        `pure=True` lets the compiler share, deduplicate and hoist it; `idempotent=True` makes
        retries safe; `reads`/`writes` (RunContext.state keys) with `passthrough=True` let
        non-conflicting steps run concurrently; `cost` (USD) and `max_latency` (s) feed the
        analysis and budgets; `model_calls` says how many LLM calls one call makes at most (for
        nodes that make them out of the plan's sight, e.g. by running another plan).
        """
        changes: dict[str, object] = {}
        for field, value in (("pure", pure), ("idempotent", idempotent), ("passthrough", passthrough), ("streaming", streaming)):
            if value is not None:
                if not isinstance(value, bool):
                    raise ConfigError(self.name, field, "a bool", value)
                changes[field] = value
        for field, keys in (("reads", reads), ("writes", writes)):
            if keys is not None:
                if isinstance(keys, str) or not all(isinstance(k, str) and k for k in keys):
                    raise ConfigError(self.name, field, "an iterable of non-empty state key strings", keys)
                changes[field] = frozenset(keys)
        for field, amount in (("cost", cost), ("max_latency", max_latency)):
            if amount is not None:
                changes[field] = check_finite_non_negative(self.name, field, amount)  # NaN would pass any budget
        if model_calls is not None:
            changes["model_calls"] = check_int(self.name, "model_calls", model_calls, minimum=0)
        return self._with_traits(**changes)

    def with_attributes(self, **attributes: str | int | float | bool) -> Self:
        """A copy of this node whose telemetry (spans) carries these attributes, e.g.
        `node(chat).with_attributes(**{"gen_ai.request.model": "gpt-4o"})`."""
        for key, value in attributes.items():
            if isinstance(value, bool) or isinstance(value, (str, int, float)):
                continue
            raise ConfigError(self.name, f"attribute {key!r}", "a str, int, float or bool", value)
        merged = dict(self.traits.attributes) | attributes
        return self._with_traits(attributes=tuple(sorted(merged.items())))

    def _with_traits(self, **changes: object) -> Self:
        """A copy of this node with some traits replaced (the node itself stays unchanged)."""
        clone = self._copy()
        clone._tta_traits = attrs.evolve(self.traits, **changes)  # type: ignore[arg-type]
        return clone

    def _joined_after(self, left: Node[Never, object]) -> Node[Never, object]:
        """`left >> self` (a StreamNode overrides it to keep streaming)."""
        return builder("join")(left, self)  # type: ignore[return-value]

    # -- composition ----------------------------------------------------------------------------

    # `b` may also be a plain function (wrapped with `node()`): a generic one such as
    # `def trace(x: T) -> T` then has its type variable solved from this node's output, in mypy
    # as in pyright (mypy cannot keep `node(trace)` itself generic).
    @overload
    def __rshift__(self, other: StreamNode[Out, K, C]) -> StreamNode[In, K, C]: ...
    @overload
    def __rshift__(self, other: Node[Out, C]) -> Node[In, C]: ...
    @overload
    def __rshift__(self, other: Callable[[Out], Coroutine[object, object, C]]) -> Node[In, C]: ...
    @overload
    def __rshift__(self, other: Callable[[Out], C]) -> Node[In, C]: ...
    def __rshift__(self, other: object) -> Node[In, object]:
        """`a >> b`: run `a`, then feed its result to `b`."""
        return _join(self, other)  # type: ignore[return-value]

    @overload
    def then(self, other: StreamNode[Out, K, C]) -> StreamNode[In, K, C]: ...
    @overload
    def then(self, other: Node[Out, C]) -> Node[In, C]: ...
    @overload
    def then(self, other: Callable[[Out], Coroutine[object, object, C]]) -> Node[In, C]: ...
    @overload
    def then(self, other: Callable[[Out], C]) -> Node[In, C]: ...
    def then(self, other: object) -> Node[In, object]:
        """Fluent form of `>>`."""
        return _join(self, other)  # type: ignore[return-value]

    def map(
        self: Node[A, Sequence[B]], body: Node[B, C], *, concurrency: int = DEFAULT_MAP_CONCURRENCY
    ) -> Node[A, list[C]]:
        """Run `body` on every item of this node's list result, at most `concurrency` at a time.

        Results keep the order of the items.
        """
        return builder("map")(self, body, concurrency)  # type: ignore[return-value]

    def loop(
        self: Node[A, A],
        *,
        until: Callable[[A], bool] | Node[A, bool],
        max_iterations: int,
        on_limit: Literal["raise", "return"] = "raise",
        name: str | None = None,
    ) -> Node[A, A]:
        """Fluent form of `loop(self, until=..., max_iterations=...)`: run this node on its own
        output until `until(state)` holds, at most `max_iterations` times."""
        return builder("loop")(self, until, max_iterations=max_iterations, on_limit=on_limit, name=name)  # type: ignore[return-value]

    def remote(self, backend: Backend | None = None, *, name: str | None = None) -> Node[In, Out]:
        """Run this node (its whole subtree) on `backend`, e.g. `DaskBackend(client)`: each call
        becomes one task there, awaited without blocking the event loop; results and errors
        come back with their types. Without `backend` it runs on the backend in use where the
        plan runs (`use_backend(...)`; in this process by default), so one plan runs in tests
        and on a cluster unchanged. See the "Scale-out on Dask" guide (docs/guides/scale-out.md)."""
        return builder("remote")(self, backend, name=name)  # type: ignore[return-value]

    def cast(self, target: type[C]) -> Node[In, C]:
        """Declare this node's output to be `target` without checking: an explicit unchecked edge.

        EXPLAIN marks the edge as unchecked. Use it where the static and runtime types are known
        to agree but cannot be proven (e.g. data from JSON).
        """
        return builder("cast")(self, target)  # type: ignore[return-value]

    # -- resilience (see tta_dev_primitives.stdlib.recovery) -----------------------------------

    def retry(
        self,
        *,
        max_attempts: int = 3,
        initial_delay: float = 0.1,
        backoff_factor: float = 2.0,
        max_delay: float = 10.0,
        jitter: bool = True,
        deadline: float | None = None,
        retry_on: RetryOn | None = None,
        budget: RetryBudget | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> Node[In, Out]:
        """Retry this node on transient errors with full-jitter exponential backoff (see Retry)."""
        return builder("retry")(  # type: ignore[return-value]
            self,
            max_attempts=max_attempts,
            initial_delay=initial_delay,
            backoff_factor=backoff_factor,
            max_delay=max_delay,
            jitter=jitter,
            deadline=deadline,
            retry_on=retry_on,
            budget=budget,
            clock=clock,
            rng=rng,
        )

    def timeout(self, seconds: float, *, fallback: Node[In, Out] | None = None, clock: Clock | None = None) -> Node[In, Out]:
        """Fail with NodeTimeoutError (a TimeoutError) after `seconds`, or run `fallback` instead."""
        return builder("timeout")(self, seconds, fallback=fallback, clock=clock)  # type: ignore[return-value]

    def cached(
        self,
        cache: Cache | None = None,
        /,
        *,
        max_size: int | None = None,
        ttl: float | None | Literal[_Default.HOUR] = _Default.HOUR,
        key: Callable[[In], object] | None = None,
        namespace: str | None = None,
        scope: str | None = None,
        store: CacheStore | None = None,
    ) -> Node[In, Out]:
        """Answer repeated inputs from a cache (a given Cache, or one built from the settings).

        `namespace` keeps tenants apart; `scope` names the computation in a store shared across
        processes (required there when the node has no importable name, e.g. a lambda);
        `max_size` defaults to 1000 entries in memory, and to a given store's own bound; `ttl`
        to an hour (None: no expiry)."""
        if cache is None:
            made = builder("cache")(max_size, 3600.0 if ttl is _Default.HOUR else ttl, key=key, namespace=namespace, scope=scope, store=store)
            return cast("Cache", made)(self)
        else:  # settings beside a given Cache would be ignored: refused, not dropped (ttl=None too)
            beside: dict[str, object] = {"max_size": max_size, "key": key, "namespace": namespace, "scope": scope, "store": store}
            given = [(field, value) for field, value in beside.items() if value is not None]
            if ttl is not _Default.HOUR:
                given.append(("ttl", ttl))
            if given:
                field, value = given[0]
                raise ConfigError(f"{self.name}.cached(cache)", field, "no other settings beside a Cache (set them on the Cache)", value)
        return cache(self)

    def guard(self, policy: GuardPolicy) -> Node[In, Out]:
        """Run this node under a guard: a CircuitBreaker, Bulkhead, RateLimiter, Hedge, ..."""
        return policy(self)

    def fallback(self, other: Node[In, Out]) -> Node[In, Out]:
        """Run `other` if this node fails; chains (`a.fallback(b).fallback(c)`) stay one level."""
        return builder("fallback")(self, other)  # type: ignore[return-value]

    # -- the original package's entry point ---------------------------------------------------

    if TYPE_CHECKING:
        # For mypy the context is required, as in the original package's base class, so that
        # primitives written for it (`execute(self, input_data, context)`) override this cleanly.
        async def execute(self, input_data: In, context: RunContext) -> Out: ...

    else:

        async def execute(self, input_data, context=None):
            """Run this node as the original package did: `await workflow.execute(input_data,
            context)`, where `workflow` may be any node, `a >> b >> c` included. It is compiled
            on first use (so composition errors are raised here, as from `compile()`) and the
            plan is kept for later calls. New code compiles once and calls `plan.run(x)`, which
            also gives the plan to read (`explain()`)."""
            return await seed_plan(self).run(input_data, context=context)

    if TYPE_CHECKING:
        # Witnesses that let combinators demand an *exact* output type (e.g. branch arms must
        # agree), which plain covariance would otherwise widen to a common supertype.
        @property
        def _tta_exact_out(self) -> Callable[[Out], Out]: ...

        @property
        def _tta_in(self) -> Callable[[In], None]: ...

        @property
        def _tta_exact_in(self) -> Callable[[In], In]: ...


_SEED_PLAN = "_tta_plan"


def seed_plan(node: Node[In, Out]) -> Plan[In, Out]:
    """`node` compiled once, for `execute` (kept on the node; copies and a Saga's new steps
    drop it)."""
    plan: Plan[In, Out] | None = node.__dict__.get(_SEED_PLAN)
    if plan is None:
        plan = node.__dict__[_SEED_PLAN] = builder("compile")(node)  # type: ignore[assignment]
    assert plan is not None
    return plan


def _join(left: Node[Never, object], right: object) -> Node[Never, object]:
    """`left >> right`: a chain, or what a node that composes its own way (a stream) makes of it."""
    if isinstance(right, Node):
        return right._joined_after(left)
    return builder("join")(left, right)  # type: ignore[return-value]


MAX_NAME = 120
"""Longest default name: composite names are built from their children's, so without a bound a
graph n levels deep would spend O(n^2) memory on names (and print them in EXPLAIN)."""

_naming: ContextVar[set[int] | None] = ContextVar("tta_naming", default=None)


def shorten(name: str, limit: int = MAX_NAME) -> str:
    """`name` cut to `limit` characters, keeping its head and tail (where nesting shows)."""
    if len(name) <= limit:
        return name
    half = (limit - 5) // 2
    return f"{name[:half]} ... {name[-half:]}"


@depth_independent
def _derive_name(node: Node[Never, object]) -> str:
    """A node's default name, bounded in length and safe against a node that contains itself
    (the compiler then reports the cycle with CycleError)."""
    active = _naming.get()
    token = None
    if active is None:
        active = set()
        token = _naming.set(active)
    try:
        if id(node) in active:
            return f"<{type(node).__name__} containing itself>"
        active.add(id(node))
        try:
            return shorten(node._default_name())
        finally:
            active.discard(id(node))
    finally:
        if token is not None:
            _naming.reset(token)


AnyNode = Node[Never, object]
"""Any node at all: what structural nodes hold, since their children's types vary."""
