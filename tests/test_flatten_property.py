"""Property: flattening never changes what a plan returns, whatever the nesting."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tta_dev_primitives import Node, branch, combine, compile, node, parallel
from tta_dev_primitives.dsl import Chain, ParallelNode


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
