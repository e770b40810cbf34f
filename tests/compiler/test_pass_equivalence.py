"""The optimization passes never change what a plan returns: random plans give the same results,
and impure nodes run the same number of times, with every optimization pass enabled and with
none; and flattening alone preserves results whatever the nesting."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tta_dev_primitives import Node, RunContext, branch, combine, compile, for_each, node, parallel
from tta_dev_primitives.dsl import Chain, ParallelNode
from tta_dev_primitives.stdlib.cache import Cache

Recipe = tuple[Any, ...]
OPTIMIZATIONS = ["flatten", "prune", "cse", "hoist_parallel", "fuse_cache"]


def bump(value: object, k: int) -> object:
    return value + k if isinstance(value, int) and not isinstance(value, bool) else (k, value)


class Builder:
    """Builds fresh nodes (fresh counters and caches) from a recipe."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.ids = itertools.count()

    def leaf(self, k: int, pure: bool) -> Node[object, object]:
        label = f"{'pure' if pure else 'impure'}{k}_{next(self.ids)}"
        calls = self.calls

        async def step(x: object) -> object:
            calls[label] += 1
            return bump(x, k)

        made: Node[object, object] = node(step, name=label)
        return made.declare(pure=True) if pure else made

    def writer(self, key: str) -> Node[object, object]:
        label = f"writer_{key}_{next(self.ids)}"
        calls = self.calls

        def write(x: object, ctx: RunContext) -> object:
            calls[label] += 1
            ctx.state[key] = x
            return x

        return node(write, name=label).declare(passthrough=True, writes={key})

    def build(self, recipe: Recipe) -> Node[object, object]:
        kind = recipe[0]
        if kind == "leaf":
            return self.leaf(recipe[1], recipe[2])
        if kind == "writer":
            return self.writer(recipe[1])
        if kind == "seq":
            built = [self.build(r) for r in recipe[1]]
            chain = built[0]
            for step in built[1:]:
                chain = chain >> step
            return chain
        if kind == "par":
            return parallel(*[self.build(r) for r in recipe[1]])  # type: ignore[call-overload, no-any-return]
        if kind == "dup":
            shared = self.build(recipe[1])
            return parallel(shared, shared)
        if kind == "prefix":
            head = self.build(recipe[1])
            return parallel(head >> self.build(recipe[2]), head >> self.build(recipe[3]))
        if kind == "branch":
            test = recipe[1] if recipe[1] is not None else (lambda x: isinstance(x, int))
            return branch(test, self.build(recipe[2]), self.build(recipe[3]))  # type: ignore[arg-type]
        if kind == "map":
            return node(lambda x: [x, bump(x, 1)], name="pair") >> for_each(self.build(recipe[1]), concurrency=2)
        if kind == "cache":
            return Cache(ttl=None)(self.build(recipe[1]))
        raise AssertionError(kind)


leaves = st.one_of(
    st.tuples(st.just("leaf"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("writer"), st.sampled_from(["a", "b", "c"])),
)


def extend(children: st.SearchStrategy[Recipe]) -> st.SearchStrategy[Recipe]:
    many = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.tuples(st.just("seq"), many),
        st.tuples(st.just("par"), st.lists(children, min_size=2, max_size=3)),
        st.tuples(st.just("dup"), children),
        st.tuples(st.just("prefix"), children, children, children),
        st.tuples(st.just("branch"), st.sampled_from([True, False, None]), children, children),
        st.tuples(st.just("map"), children),
        st.tuples(st.just("cache"), children),
    )


recipes = st.recursive(leaves, extend, max_leaves=12)


def _impure(calls: Counter[str]) -> dict[str, int]:
    """Calls of the impure nodes (labels are the same in both builds: ids follow build order)."""
    return {k: v for k, v in calls.items() if not k.startswith("pure")}


@settings(max_examples=150, deadline=None)
@given(recipe=recipes, start=st.integers(-3, 3))
def test_all_passes_and_no_passes_agree(recipe: Recipe, start: int) -> None:
    optimized, plain = Builder(), Builder()
    fast = compile(optimized.build(recipe), state_keys={"a", "b", "c"})
    slow = compile(plain.build(recipe), disable=OPTIMIZATIONS, state_keys={"a", "b", "c"})
    assert fast.run_sync(start) == slow.run_sync(start)
    assert _impure(optimized.calls) == _impure(plain.calls)


@dataclass(frozen=True)
class Both:
    left: object
    right: object


def adder(k: int) -> Node[object, object]:
    async def add(x: object) -> object:
        return (x, k) if not isinstance(x, int) else x + k

    return node(add, name=f"add{k}")


def trees() -> st.SearchStrategy[Node[object, object]]:
    leaves = st.integers(min_value=0, max_value=9).map(adder)

    def extend(children: st.SearchStrategy[Node[object, object]]) -> st.SearchStrategy[Node[object, object]]:
        return st.one_of(
            st.lists(children, min_size=1, max_size=4).map(lambda xs: Chain(tuple(xs))),
            st.lists(children, min_size=1, max_size=4).map(lambda xs: ParallelNode(tuple(xs))),
            st.tuples(children, children).map(lambda ab: combine(Both, ab[0], ab[1])),
            st.tuples(children, children).map(lambda ab: parallel(ab[0], ab[1])),
            st.tuples(children, children).map(lambda ab: branch(lambda x: isinstance(x, int), ab[0], ab[1])),
        )

    return st.recursive(leaves, extend, max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(tree=trees(), start=st.integers(min_value=-5, max_value=5))
def test_flatten_preserves_results(tree: Node[object, object], start: int) -> None:
    flat = compile(tree)
    nested = compile(tree, disable="flatten")
    assert flat.run_sync(start) == nested.run_sync(start)
