"""The plan IR: a tree of ops, each with its input and output type.

Edges are implicit in the structure (a sequence feeds step i-1 into step i; a parallel feeds its
input to every branch) and each carries the producer's and consumer's types. Ops are frozen;
passes build new trees with `attrs.evolve`. Every op keeps the identity of the node it came from
(`node_id`, `name`, `location`) so telemetry and errors name user nodes even after rewriting.
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar, TypeVar

import attrs

from .._deep import depth_independent
from ..dsl._location import SourceLocation
from ..dsl._streaming import is_stream_type
from ..dsl._traits import NO_TRAITS, Traits
from ..dsl._types import TypeExpr
from ..dsl._callables import param_types_of, return_type_of
from ._policy import Policy
from ._types import tuple_of

__all__ = [
    "BranchOp", "CallOp", "CastOp", "ConstOp", "Edge", "Group", "LoopOp", "MapOp", "Op", "ParOp", "SeqOp", "StageOp", "StreamOp", "fold", "leaf_call",
    "StreamShape", "chunk_type", "composites", "consumes_stream", "piped_type", "rewrite", "rewrite_composites", "stream_shape", "walk",
]

V = TypeVar("V")


@attrs.frozen(eq=False)
class Edge:
    """A typed connection inside a structural op: `src` flows into a consumer expecting `dst`.

    `producer` is None when the value is the owner's own input (fan-out to branches); `consumer`
    is None when the value goes to something that is not an op (a combiner argument, a
    condition). `unchecked` holds the reason when the edge is deliberately not checked.
    """

    owner: Op
    label: str
    producer: Op | None
    consumer: Op | None
    src: TypeExpr
    dst: TypeExpr
    unchecked: str | None = None


@attrs.frozen(kw_only=True, eq=False)
class Op:
    """One node of the plan."""

    kind: ClassVar[str] = "op"
    journaled: ClassVar[bool] = False
    """Whether a durable run records this op's output (leaves with effects, interrupts) rather
    than re-running it on resume: structural ops are re-run, and replay their children."""
    selects_one: ClassVar[bool] = False
    """children = (selector, *options): the selector runs, then one of the options (a branch, a
    router), so the analysis counts the dearest option, not all of them."""
    catches_failures: ClassVar[bool] = False
    """Turns its first child's failures into another child's result (a fallback)."""
    traced: ClassVar[bool] = False
    """Whether traces give this op a span of its own by default: ops that run code (calls,
    streams, remote runs, interrupts). Structure and guards get one only when a trace asks for
    every op (`TracingHook(detail="all")`); their events go on the nearest span."""

    node_id: int
    """Stable id of the source node within the plan (depth-first order)."""
    name: str
    primitive_type: str
    in_type: TypeExpr
    out_type: TypeExpr
    location: SourceLocation
    children: tuple[Op, ...] = ()
    traits: Traits = NO_TRAITS
    """What the source node declared (purity, state keys, cost, ...)."""
    _facts: dict[str, object] | None = attrs.field(default=None, init=False, repr=False)
    """Facts derived from this (immutable) op and its subtree, computed once (see `fact`)."""

    def fact(self, key: str, derive: Callable[[Op], object]) -> object:
        """`derive(self)`, computed once per op: subtree facts asked at every level of a deep
        tree would otherwise cost O(n^2)."""
        facts = self._facts
        if facts is None:
            facts = {}
            object.__setattr__(self, "_facts", facts)
        if key not in facts:
            facts[key] = derive(self)
        return facts[key]

    def subtree_fact(self, key: str, derive: Callable[[Op], object]) -> object:
        """`fact(key, derive)` for a `derive` that asks the same fact of every child: the facts
        of the ops below that have children are derived first, deepest first, from an explicit
        stack, so `derive` recurses one level at most however deep the tree (5,000 nested
        retries cost no thread hops of `depth_independent`); leaves are left to `derive`."""
        facts = self._facts
        if facts is not None and key in facts:
            return facts[key]
        stack: list[tuple[Op, bool]] = [(self, False)]
        while stack:
            op, ready = stack.pop()
            if ready:
                op.fact(key, derive)
            elif op._facts is None or key not in op._facts:
                stack.append((op, True))
                stack.extend([(child, False) for child in op.children if child.children])
        return self.fact(key, derive)

    def params(self) -> dict[str, object]:
        """Kind-specific settings as JSON-compatible values (for EXPLAIN, JSON and fingerprints)."""
        return {}

    def with_children(self, children: tuple[Op, ...]) -> Op:
        """This op with other children (what a rewriting pass builds); everything else is kept."""
        return attrs.evolve(self, children=children)

    def edges(self) -> Iterator[Edge]:
        """The typed connections this op makes between its input, its children and its output."""
        return iter(())

    def policy(self) -> Policy | None:
        """The policy this op runs its child under (a guard op), which the passes ask for its
        bounds and lint facts; None for every other op."""
        return None

    def dispatch_limit(self) -> int | None:
        """For a dispatcher (an op that runs, concurrently, up to N calls of any of its children
        per run, e.g. an agent's tool calls): N. The analysis then counts N calls of the
        costliest child. None for every other op."""
        return None

    def stream_children(self) -> tuple[Op, ...] | None:
        """For an op that can pass a child's stream on as its own (a wrapper, a fallback's
        routes, a sequence ending in a stream): those children, all of which must stream for
        this op to stream. None for ops that cannot (their streaming children are collected)."""
        return None

    def result_children(self) -> tuple[Op, ...]:
        """Children one of which gives this op its result unchanged (a branch's arms, a
        router's routes): a stream they produce is this op's streaming output."""
        return self.stream_children() or ()

    def problems(self) -> Iterator[str]:
        """What else makes this op unable to run, found at compile time (e.g. a combiner that
        cannot take the branch results); typecheck raises CompositionError with them."""
        return iter(())

    def _fan_out(self, children: tuple[Op, ...], label: str) -> Iterator[Edge]:
        for i, child in enumerate(children):
            yield Edge(self, f"{label} {i}" if len(children) > 1 else label, None, child, self.in_type, child.in_type)


@attrs.frozen(kw_only=True, eq=False)
class CallOp(Op):
    """Call a user function."""

    kind: ClassVar[str] = "call"
    journaled: ClassVar[bool] = True
    traced: ClassVar[bool] = True

    fn: Callable[..., object]
    is_async: bool
    arity: int
    thread: bool
    qualname: str

    def params(self) -> dict[str, object]:
        mode = "async" if self.is_async else ("thread" if self.thread else "sync")
        return {"fn": self.qualname, "mode": mode, "context": self.arity == 2}


def _slot_writers(cls: type[Op], names: tuple[str, ...]) -> tuple[Callable[[Op, object], None], ...]:
    """The slot writers (descriptors' `__set__`) of fields `names` of a frozen attrs op class,
    which must be all its fields (checked here, once: a field added later must be written too)."""
    fields = [f.name for f in attrs.fields(cls)]
    if set(names) != set(fields):
        raise TypeError(f"slot writers of {cls.__name__}: asked for {sorted(names)}, but its fields are {sorted(fields)}")

    def writer(name: str) -> Callable[[Op, object], None]:
        slot = next(vars(k)[name] for k in cls.__mro__ if name in vars(k))
        return slot.__set__  # type: ignore[no-any-return]

    return tuple(writer(name) for name in names)


_CALL_SLOTS = _slot_writers(CallOp, (
    "node_id", "name", "primitive_type", "in_type", "out_type", "location", "children", "traits", "_facts",
    "fn", "is_async", "arity", "thread", "qualname",
))


def leaf_call(
    *,
    node_id: int,
    name: str,
    primitive_type: str,
    location: SourceLocation,
    traits: Traits,
    in_type: TypeExpr,
    out_type: TypeExpr,
    fn: Callable[..., object],
    is_async: bool,
    arity: int,
    thread: bool,
    qualname: str,
) -> CallOp:
    """`CallOp(...)` (no children), written slot by slot. Lowering builds one per leaf, and attrs'
    frozen `__init__`, which sets each field through `object.__setattr__`, took half the time of
    lowering a 10,000-step chain; the op is the same, frozen as ever (a test compares the two)."""
    op = object.__new__(CallOp)
    w_id, w_name, w_kind, w_in, w_out, w_location, w_children, w_traits, w_facts, w_fn, w_async, w_arity, w_thread, w_qualname = _CALL_SLOTS
    w_id(op, node_id)
    w_name(op, name)
    w_kind(op, primitive_type)
    w_in(op, in_type)
    w_out(op, out_type)
    w_location(op, location)
    w_children(op, ())
    w_traits(op, traits)
    w_facts(op, None)
    w_fn(op, fn)
    w_async(op, is_async)
    w_arity(op, arity)
    w_thread(op, thread)
    w_qualname(op, qualname)
    return op


@attrs.frozen(kw_only=True, eq=False)
class StreamOp(CallOp):
    """Call a user function that returns an async iterator of chunks: a streaming node (a
    leaf call, to the analysis and the lints).

    `out_type` is the joined value (`join(chunks)`) that steps after it see; a step taking
    `AsyncIterator[chunk_type]` gets the chunks instead, as they come. With `consumes`, the
    function itself takes the previous step's chunks (a stream transform)."""

    kind: ClassVar[str] = "stream"

    chunk_type: TypeExpr
    join: Callable[[list[object]], object]
    split: Callable[[object], Iterable[object]] | None
    consumes: bool

    def params(self) -> dict[str, object]:
        from ._types import format_type

        return {
            "fn": self.qualname,
            "mode": "stream",
            "chunks": format_type(self.chunk_type),
            "join": getattr(self.join, "__qualname__", type(self.join).__name__),
            "context": self.arity == 2,
        }


@attrs.frozen(kw_only=True, eq=False)
class ConstOp(Op):
    """Ignore the input and return `value` (known at compile time)."""

    kind: ClassVar[str] = "const"

    value: object

    def params(self) -> dict[str, object]:
        return {"value": repr(self.value)}


@attrs.frozen(kw_only=True, eq=False)
class StageOp(Op):
    """Run every child concurrently on the input and return the input (children are
    passthrough steps that work through RunContext.state)."""

    kind: ClassVar[str] = "stage"

    def edges(self) -> Iterator[Edge]:
        yield from self._fan_out(self.children, "step")


@attrs.frozen(kw_only=True, eq=False)
class SeqOp(Op):
    """Run children in order, each fed the previous result."""

    kind: ClassVar[str] = "seq"

    def edges(self) -> Iterator[Edge]:
        for i in range(1, len(self.children)):
            prev, cur = self.children[i - 1], self.children[i]
            yield Edge(self, f"step {i}", prev, cur, piped_type(prev, cur), cur.in_type)

    def stream_children(self) -> tuple[Op, ...] | None:
        return self.children[-1:]


@attrs.frozen(eq=False)
class Group:
    """How a parallel op assembles its result from its flat branch results.

    `items` are branch indices or nested groups; the group's value is `combiner(*values)`, or
    the tuple of values when `combiner` is None. Flattening nested parallels nests groups, so
    the result keeps the shape the user built while all branches run in one task group.
    """

    combiner: Callable[..., object] | None
    items: tuple[int | Group, ...]

    @depth_independent
    def describe(self) -> str:
        """The layout as text, e.g. `Evidence(0, 1, 2)`, for EXPLAIN."""
        inner = ", ".join(str(i) if isinstance(i, int) else i.describe() for i in self.items)
        if self.combiner is None:
            return f"({inner})"
        return f"{getattr(self.combiner, '__qualname__', 'combine')}({inner})"


@attrs.frozen(kw_only=True, eq=False)
class ParOp(Op):
    """Run children concurrently on the same input and assemble the results by `layout`."""

    kind: ClassVar[str] = "par"

    layout: Group

    def params(self) -> dict[str, object]:
        return {"layout": self.layout.describe()}

    def edges(self) -> Iterator[Edge]:
        yield from self._fan_out(self.children, "branch")
        yield from self._combiner_edges(self.layout)

    def problems(self) -> Iterator[str]:
        for group in self._groups(self.layout):
            if group.combiner is None:
                continue
            try:
                signature = inspect.signature(group.combiner)
            except (TypeError, ValueError):
                continue  # a builtin without a readable signature: the run will tell
            try:
                signature.bind(*group.items)
            except TypeError as error:
                name = getattr(group.combiner, "__qualname__", repr(group.combiner))
                params = ", ".join(str(p.replace(annotation=p.empty, default=p.empty)) for p in signature.parameters.values())
                yield (
                    f"{self.name!r} (built at {self.location}) passes {len(group.items)} branch results to "
                    f"{name}({params}), which does not accept them: {error}"
                )

    def _groups(self, root: Group) -> Iterator[Group]:
        stack = [root]
        while stack:
            group = stack.pop()
            yield group
            stack.extend(item for item in group.items if isinstance(item, Group))

    def _combiner_edges(self, group: Group) -> Iterator[Edge]:
        edges: list[Edge] = []
        self._collect_combiner_edges(group, edges)
        return iter(edges)

    @depth_independent
    def _collect_combiner_edges(self, group: Group, edges: list[Edge]) -> None:
        for item in group.items:
            if isinstance(item, Group):
                self._collect_combiner_edges(item, edges)
        if group.combiner is None:
            return
        params = param_types_of(group.combiner)
        name = getattr(group.combiner, "__qualname__", "combiner")
        if params is None:
            return
        for position, (item, dst) in enumerate(zip(group.items, params)):
            producer = self.children[item] if isinstance(item, int) else None
            src = self.children[item].out_type if isinstance(item, int) else self.group_type(item)
            edges.append(Edge(self, f"{name} argument {position}", producer, None, src, dst))

    @depth_independent
    def group_type(self, group: Group) -> TypeExpr:
        """The type of the value a layout group produces."""
        if group.combiner is not None:
            return return_type_of(group.combiner)
        return tuple_of(self.children[i].out_type if isinstance(i, int) else self.group_type(i) for i in group.items)


@attrs.frozen(kw_only=True, eq=False)
class BranchOp(Op):
    """children = (predicate, if_true, if_false)."""

    kind: ClassVar[str] = "branch"
    selects_one: ClassVar[bool] = True

    def result_children(self) -> tuple[Op, ...]:
        return self.children[1:]

    def edges(self) -> Iterator[Edge]:
        predicate = self.children[0]
        yield from self._fan_out(self.children, "input")
        yield Edge(self, "condition", predicate, None, predicate.out_type, bool)
        for label, arm in (("then", self.children[1]), ("otherwise", self.children[2])):
            yield Edge(self, f"{label} result", arm, None, arm.out_type, self.out_type)


@attrs.frozen(kw_only=True, eq=False)
class LoopOp(Op):
    """children = (until, body): while not until(state), state = body(state); at most
    `max_iterations` runs of the body, then LoopLimitError (or the last state)."""

    kind: ClassVar[str] = "loop"

    max_iterations: int
    on_limit: str

    def params(self) -> dict[str, object]:
        return {"max_iterations": self.max_iterations, "on_limit": self.on_limit}

    def edges(self) -> Iterator[Edge]:
        until, body = self.children
        yield Edge(self, "state", None, body, self.in_type, body.in_type)
        yield Edge(self, "next iteration", body, body, body.out_type, body.in_type)
        yield Edge(self, "until input", None, until, self.in_type, until.in_type)
        yield Edge(self, "until input (after an iteration)", body, until, body.out_type, until.in_type)
        yield Edge(self, "condition", until, None, until.out_type, bool)


@attrs.frozen(kw_only=True, eq=False)
class MapOp(Op):
    """Run the single child on every item of the input list, bounded concurrency, ordered results."""

    kind: ClassVar[str] = "map"

    concurrency: int

    def params(self) -> dict[str, object]:
        return {"concurrency": self.concurrency}


@attrs.frozen(kw_only=True, eq=False)
class CastOp(Op):
    """The single child, with its output declared as `out_type` without a check."""

    kind: ClassVar[str] = "cast"

    def stream_children(self) -> tuple[Op, ...] | None:
        return self.children

    def edges(self) -> Iterator[Edge]:
        inner = self.children[0]
        yield Edge(self, "cast", inner, None, inner.out_type, self.out_type, unchecked="explicit cast")


def walk(op: Op) -> Iterator[Op]:
    """Every op of the tree, parents before children."""
    stack = [op]
    pop, more = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        if current.children:
            more(reversed(current.children))


def composites(op: Op) -> Iterator[Op]:
    """The ops of the tree that have children, parents before children: what a pass that only
    looks at structure (guards, sequences, parallels) visits, without stepping on every leaf."""
    stack = [op] if op.children else []
    pop, more = stack.pop, stack.extend
    while stack:
        current = pop()
        yield current
        more([child for child in reversed(current.children) if child.children])


def rewrite(op: Op, rule: Callable[[Op], Op]) -> Op:
    """Apply `rule` bottom-up: children are rewritten first, then the op holding them.

    Iterative (an explicit stack), so the depth of the tree does not matter."""

    def combine(current: Op, children: list[Op]) -> Op:
        if children and any(new is not old for new, old in zip(children, current.children)):
            current = current.with_children(tuple(children))
        return rule(current)

    return fold(op, combine)


def rewrite_composites(root: Op, rule: Callable[[Op], Op]) -> Op:
    """`rewrite(root, rule)` for a rule that returns every leaf unchanged (the passes' rules act
    on structure: sequences, parallels, branches, guards): leaves are not visited, and an op
    whose children are all leaves is handed to `rule` without stacking them, so a 10,000-step
    sequence costs one scan of its steps rather than 10,000 calls."""
    if not root.children:
        return root
    values: list[Op] = []
    stack: list[Op | _Done] = [root]
    pop, push, more, keep = stack.pop, stack.append, stack.extend, values.append
    while stack:
        item = pop()
        if type(item) is _Done:
            op = item.op
            count = len(op.children)
            kids = values[-count:]
            del values[-count:]
            if any(new is not old for new, old in zip(kids, op.children)):
                op = op.with_children(tuple(kids))
            keep(rule(op))
        elif not item.children:  # type: ignore[union-attr]
            keep(item)  # type: ignore[arg-type]
        elif any(child.children for child in item.children):  # type: ignore[union-attr]
            push(_Done(item))  # type: ignore[arg-type]
            more(reversed(item.children))  # type: ignore[union-attr]
        else:  # only leaves below: they stay as they are
            keep(rule(item))  # type: ignore[arg-type]
    return values[0]


class _Done:
    """Stack marker: the children of `op` have their values."""

    __slots__ = ("op",)

    def __init__(self, op: Op) -> None:
        self.op = op


def fold(root: Op, combine: Callable[[Op, list[V]], V]) -> V:
    """`combine(op, [values of its children])` for every op, children first; the root's value.

    Iterative (an explicit stack), so the depth of the tree does not matter."""
    values: list[V] = []
    stack: list[Op | _Done] = [root]
    pop, push, more, keep = stack.pop, stack.append, stack.extend, values.append
    while stack:
        item = pop()
        if type(item) is _Done:
            op = item.op
            count = len(op.children)
            kids = values[-count:]
            del values[-count:]
            keep(combine(op, kids))
        elif item.children:  # type: ignore[union-attr]
            push(_Done(item))  # type: ignore[arg-type]
            more(reversed(item.children))  # type: ignore[union-attr]
        else:
            keep(combine(item, []))  # type: ignore[arg-type]
    return values[0]


# -- streams: how an op hands its result over chunk by chunk (see compiler._streams) --------------


class StreamShape(typing.NamedTuple):
    """How a streaming op's chunks look and become one value."""

    chunk_type: TypeExpr
    join: Callable[[list[object]], object]
    split: Callable[[object], Iterable[object]] | None


def stream_shape(op: Op) -> StreamShape | None:
    """The chunk type, join and split of `op`'s stream; None when `op` does not stream."""
    if not op.children and not isinstance(op, StreamOp):  # a plain leaf: no fact kept per leaf
        return None
    shape = op.fact("stream_shape", _derive_shape)
    return shape if isinstance(shape, StreamShape) else None


@depth_independent
def _derive_shape(op: Op) -> StreamShape | None:
    if isinstance(op, StreamOp):
        return StreamShape(op.chunk_type, op.join, op.split)
    children = op.stream_children()
    if not children:
        return None
    shapes = [stream_shape(child) for child in children]
    first = shapes[0]
    return first if first is not None and all(s is not None for s in shapes) else None


def chunk_type(op: Op) -> TypeExpr | None:
    """The type of `op`'s chunks, or None when it does not stream."""
    shape = stream_shape(op)
    return None if shape is None else shape.chunk_type


def consumes_stream(op: Op) -> bool:
    """Whether `op` takes a stream of chunks as its input (`AsyncIterator[...]`), by the same
    test that tells `streaming()` a function is a transform."""
    return is_stream_type(op.in_type)


def piped_type(producer: Op, consumer: Op) -> TypeExpr:
    """What flows from `producer` into `consumer` in a sequence: the chunks as
    `AsyncIterator[chunk]` when the producer streams and the consumer takes a stream, else the
    producer's (joined) output."""
    if consumes_stream(consumer):
        chunk = chunk_type(producer)
        if chunk is not None:
            return collections.abc.AsyncIterator[chunk]  # type: ignore[valid-type]
    return producer.out_type
