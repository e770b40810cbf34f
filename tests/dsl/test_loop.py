"""`loop`: a typed, bounded loop that the compiler analyses and the executor runs with plain awaits."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from tta_dev_primitives import (
    ConfigError,
    Hook,
    LoopLimitError,
    NodeInfo,
    RunContext,
    TypeMismatchError,
    compile,
    loop,
    node,
)
from tta_dev_primitives.compiler import LoopOp

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Draft:
    text: str
    turns: int = 0


async def revise(draft: Draft) -> Draft:
    return replace(draft, text=draft.text + "!", turns=draft.turns + 1)


def good_enough(draft: Draft) -> bool:
    return draft.text.count("!") >= 3


async def test_the_body_runs_until_the_condition_holds() -> None:
    plan = compile(loop(node(revise), until=good_enough, max_iterations=10))
    assert await plan.run(Draft("hi")) == Draft("hi!!!", 3)
    assert await plan.run(Draft("done!!!")) == Draft("done!!!", 0)  # checked before each iteration


async def test_the_condition_may_be_an_async_node_and_the_fluent_form_is_the_same() -> None:
    async def enough(draft: Draft) -> bool:
        return draft.turns >= 2

    plan = compile(node(revise).loop(until=node(enough), max_iterations=5))
    assert (await plan.run(Draft("a"))).turns == 2


async def test_reaching_the_bound_raises_with_the_last_state_or_returns_it() -> None:
    never = loop(node(revise), until=lambda d: False, max_iterations=4, name="polish")
    with pytest.raises(LoopLimitError, match="loop 'polish' ran its body 4 times") as caught:
        await compile(never).run(Draft("x"))
    assert caught.value.state == Draft("x!!!!", 4) and caught.value.iterations == 4
    lenient = loop(node(revise), until=lambda d: False, max_iterations=2, on_limit="return")
    assert await compile(lenient).run(Draft("x")) == Draft("x!!", 2)


async def test_the_bound_is_met_exactly_when_the_last_iteration_satisfies_the_condition() -> None:
    plan = compile(loop(node(revise), until=good_enough, max_iterations=3))
    assert await plan.run(Draft("")) == Draft("!!!", 3)


def test_every_loop_is_bounded_and_validated_at_build_time() -> None:
    with pytest.raises(ConfigError, match=r"loop\(revise\): invalid max_iterations=0; expected an int >= 1"):
        loop(node(revise), until=good_enough, max_iterations=0)
    with pytest.raises(ConfigError, match="max_iterations"):
        loop(node(revise), until=good_enough, max_iterations=True)
    with pytest.raises(ConfigError, match="on_limit"):
        loop(node(revise), until=good_enough, max_iterations=2, on_limit="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        loop(node(revise), until=good_enough)  # type: ignore[call-arg]


def test_the_compiler_checks_the_loop_edges_and_multiplies_the_worst_case() -> None:
    async def call_model(draft: Draft) -> Draft:
        return draft

    model = node(call_model).declare(cost=0.01, max_latency=2.0)
    check = node(good_enough).declare(max_latency=0.0)
    plan = compile(loop(model, until=check, max_iterations=5))
    assert isinstance(plan.root, LoopOp)
    assert plan.analysis is not None
    # the condition runs once more than the body: 6 checks, 5 model calls
    assert (plan.analysis.max_attempts, plan.analysis.max_attempts_node) == (6, "good_enough")
    assert plan.analysis.cost == pytest.approx(0.05)
    assert plan.analysis.latency == pytest.approx(10.0)
    assert "max_iterations=5" in plan.explain()

    def to_text(draft: Draft) -> str:
        return draft.text

    with pytest.raises(TypeMismatchError, match="next iteration"):
        compile(loop(node(to_text), until=lambda s: True, max_iterations=2))  # type: ignore[arg-type]


async def test_hooks_see_each_iteration_with_its_number() -> None:
    seen: list[tuple[str, object]] = []

    class Watch(Hook):
        def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
            seen.append((node.name, node.attributes.get("loop.iteration")))
            return None

    plan = compile(loop(node(revise), until=good_enough, max_iterations=10, name="polish")).with_hooks(Watch())
    await plan.run(Draft(""))
    iterations = [n for name, n in seen if name == "polish iteration"]
    assert iterations == [0, 1, 2]
    assert [name for name, _ in seen].count("revise") == 3
