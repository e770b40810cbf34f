"""Compiling graphs of any length and depth: no RecursionError, names and EXPLAIN of bounded size.

Timings live in benchmarks/bench_compile.py; these tests only check that big graphs compile,
that the results are right, and that nothing grows faster than the graph.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import pytest

from tta_dev_primitives import CycleError, Node, Sequential, branch, compile, node, parallel, pipe
from tta_dev_primitives.compiler._ir import ParOp, SeqOp, walk
from tta_dev_primitives.dsl._composite import Chain
from tta_dev_primitives.dsl._core import MAX_NAME

DEEP = 5_000


def inc(x: int) -> int:
    return x + 1


async def ainc(x: int) -> int:
    return x + 1


def arrow_chain(length: int) -> Node[int, int]:
    chain: Node[int, int] = node(inc)
    for _ in range(length - 1):
        chain = chain >> node(inc)
    return chain


def test_a_100000_step_arrow_chain_compiles_flat() -> None:
    plan = compile(arrow_chain(100_000))
    assert isinstance(plan.root, SeqOp) and len(plan.root.children) == 100_000
    assert plan.name == "inc >> ... >> inc (100000 steps)"


def test_a_10000_step_arrow_chain_runs() -> None:
    assert compile(arrow_chain(10_000)).run_sync(0) == 10_000


def test_arrow_and_sequential_build_the_same_plan() -> None:
    steps = [node(inc) for _ in range(50)]
    built: Node[int, int] = steps[0]
    for step in steps[1:]:
        built = built >> step
    assert compile(built).fingerprint() == compile(Sequential(steps).named(built.name)).fingerprint()


def test_extending_an_older_chain_does_not_change_the_newer_one() -> None:
    a, b, c, d = (node(inc).named(n) for n in "abcd")
    ab = a >> b
    abc = ab >> c
    abd = ab >> d  # ab's shared step list already holds c: this one copies the prefix
    assert isinstance(ab, Chain) and isinstance(abc, Chain) and isinstance(abd, Chain)
    assert [s.name for s in ab.steps] == ["a", "b"]
    assert [s.name for s in abc.steps] == ["a", "b", "c"]
    assert [s.name for s in abd.steps] == ["a", "b", "d"]
    assert [s.name for s in (abc >> abd).steps] == ["a", "b", "c", "a", "b", "d"]


def test_named_or_declared_chains_stay_nodes_of_their_own() -> None:
    a, b, c = (node(inc).named(n) for n in "abc")
    head = (a >> b).named("head")
    assert [s.name for s in (head >> c).steps] == ["head", "c"]  # type: ignore[attr-defined]
    pure = (a >> b).declare(pure=True)
    assert [s.name for s in (pure >> c).steps] == ["a >> b", "c"]  # type: ignore[attr-defined]


def test_concurrent_extensions_of_one_chain_keep_their_own_steps() -> None:
    base = node(inc) >> node(inc)
    results: dict[int, list[str]] = {}

    def extend(i: int) -> None:
        chain = base >> node(inc).named(f"t{i}")
        results[i] = [s.name for s in chain.steps]  # type: ignore[attr-defined]

    threads = [threading.Thread(target=extend, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: ["inc", "inc", f"t{i}"] for i in range(16)}


NESTINGS: dict[str, Callable[[Node[int, int]], Node[int, int]]] = {
    "retry": lambda x: x.retry(max_attempts=2),
    "timeout": lambda x: x.timeout(5),
    "fallback": lambda x: node(inc).fallback(x),
    "branch": lambda x: branch(lambda v: v > 0, x, node(inc)),
    "parallel": lambda x: parallel(x, node(inc)) >> node(lambda t: t[0]),
    "cached": lambda x: x.cached(),
    "named chain": lambda x: (node(inc) >> x).named("level"),
    "prepend": lambda x: node(inc) >> x,
}


@pytest.mark.parametrize("kind", NESTINGS)
def test_5000_levels_of_nesting_compile_explain_and_fingerprint(kind: str) -> None:
    workflow: Node[int, int] = node(ainc)
    for _ in range(DEEP):
        workflow = NESTINGS[kind](workflow)
    plan = compile(workflow)
    text = plan.explain()
    assert len(plan.fingerprint()) == 16
    ops = list(walk(plan.root))
    assert all(len(op.name) <= MAX_NAME for op in ops)  # O(1) names, however deep
    assert len(text) < 1_200 * len(ops)  # EXPLAIN stays linear in the plan (no O(depth) indents)
    assert plan.to_dict()["root"]


def test_typed_nested_parallels_flatten_into_one_task_group() -> None:
    workflow: Node[int, object] = node(inc)
    for _ in range(DEEP):
        workflow = parallel(workflow, node(inc))
    plan = compile(workflow)
    assert isinstance(plan.root, ParOp) and len(plan.root.children) == DEEP + 1


def test_compile_works_when_called_from_a_deep_stack() -> None:
    limit = sys.getrecursionlimit()
    workflow = arrow_chain(300)
    nested: Node[int, int] = node(inc)
    for _ in range(400):
        nested = nested.retry(max_attempts=2)

    def descend(depth: int) -> tuple[int, int]:
        if depth:
            return descend(depth - 1)
        return len(compile(workflow).root.children), len(list(walk(compile(nested).root)))

    assert descend(limit - 120) == (300, 401)


def test_a_node_that_contains_itself_is_a_cycle_error_under_any_name() -> None:
    loop = node(inc) >> node(inc)
    assert isinstance(loop, Chain)
    loop._items.append(loop)
    loop._count += 1
    with pytest.raises(CycleError, match="cycle in the workflow graph"):
        compile(loop)
    assert "containing itself" in loop.name


def test_json_of_a_plan_too_deep_for_the_json_module_is_a_clear_error() -> None:
    workflow: Node[int, int] = node(inc)
    for _ in range(2_000):
        workflow = workflow.retry(max_attempts=2)
    plan = compile(workflow)
    with pytest.raises(ValueError, match="nested too deep for the json module"):
        plan.to_json()


@pytest.mark.anyio
async def test_pipe_builds_the_same_plan_as_arrows_and_runs_in_the_seed_style() -> None:
    a, b, c = (node(inc).named(n) for n in "abc")
    piped = pipe(a, b, pipe(c, a))
    arrows = a >> b >> (c >> a)
    shape = [(op.kind, op.name) for op in walk(compile(piped).root)][1:]
    assert shape == [(op.kind, op.name) for op in walk(compile(arrows).root)][1:] == [("call", n) for n in "abca"]
    assert await piped.execute(0) == 4
