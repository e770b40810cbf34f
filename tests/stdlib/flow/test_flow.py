"""Flow primitives with the seed's API: Sequential, Parallel, Conditional, Switch, Router."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from tta_dev_primitives import ConfigError, ParallelError, RunContext, TypeMismatchError, WorkflowContext, compile, node
from tta_dev_primitives.compiler import ParOp, SeqOp
from tta_dev_primitives.stdlib.flow import (
    BudgetExceededError,
    CheapestMeetingQuality,
    Conditional,
    CostAware,
    LowestLatency,
    NoRouteMeetsQualityError,
    Parallel,
    RouteNotFoundError,
    Router,
    RouteSpec,
    Sequential,
    Switch,
)
from tta_dev_primitives.stdlib.testing import MockPrimitive

pytestmark = pytest.mark.anyio

Data = dict[str, Any]


async def load_data(data: Data) -> Data:
    return {**data, "loaded": True}


def process_data(data: Data) -> Data:
    return {**data, "processed": True}


async def save_results(data: Data) -> Data:
    return {**data, "saved": True}


async def test_sequential_runs_functions_in_order() -> None:
    workflow = Sequential([load_data, process_data, save_results])
    result = await workflow.execute({"input": "data"})
    assert result == {"input": "data", "loaded": True, "processed": True, "saved": True}


async def test_sequential_edges_are_type_checked() -> None:
    def to_int(data: Data) -> int:
        return 1

    with pytest.raises(TypeMismatchError, match="step 2"):
        compile(Sequential([load_data, to_int, save_results]))


async def test_sequential_and_rshift_flatten_fully() -> None:
    inner = Sequential([load_data, process_data])
    plan = compile(inner >> Sequential([save_results]) >> node(process_data))
    assert isinstance(plan.root, SeqOp)
    assert [c.name for c in plan.root.children] == ["load_data", "process_data", "save_results", "process_data"]


async def test_parallel_returns_a_list_in_order_and_cancels_on_failure() -> None:
    async def fetch_user_data(req: Data) -> str:
        return f"user{req['user_id']}"

    async def fetch_analytics(req: Data) -> int:
        await anyio.sleep(0)
        return 42

    def fetch_recommendations(req: Data) -> list[str]:
        return ["a"]

    parallel = Parallel([fetch_user_data, fetch_analytics, fetch_recommendations])
    assert await parallel.execute({"user_id": 123}) == ["user123", 42, ["a"]]
    failing = Parallel([fetch_user_data, MockPrimitive("broken", raise_error=ValueError("x"))])
    with pytest.raises(ParallelError):
        await failing.execute({"user_id": 1})


async def test_pipe_on_seed_primitives_builds_one_flat_parallel() -> None:
    a, b, c = MockPrimitive("a", return_value=1), MockPrimitive("b", return_value=2), MockPrimitive("c", return_value=3)
    fan = a | b | c
    plan = compile(fan)
    assert isinstance(plan.root, ParOp) and len(plan.root.children) == 3
    assert await plan.run("x") == [1, 2, 3]


async def test_conditional_with_and_without_else() -> None:
    def is_admin(user: Data, context: WorkflowContext) -> bool:
        return bool(user.get("admin")) and context.workflow_id == "wf"

    admin = MockPrimitive("admin", return_value="admin page")
    regular = MockPrimitive("regular", return_value="home page")
    both = Conditional(is_admin, admin, regular)
    ctx = WorkflowContext(workflow_id="wf")
    assert await both.execute({"admin": True}, ctx) == "admin page"
    assert await both.execute({"admin": False}, ctx) == "home page"
    only_then = Conditional(lambda user: user.get("admin"), admin)
    assert await only_then.execute({"admin": False}) == {"admin": False}  # passes through


async def test_switch_picks_a_case_or_the_default() -> None:
    cases = {"text": MockPrimitive("t", return_value="T"), "image": MockPrimitive("i", return_value="I")}
    switch = Switch(lambda req: req["kind"], cases, default="text")
    assert await switch.execute({"kind": "image"}) == "I"
    assert await switch.execute({"kind": "video"}) == "T"
    strict = Switch(lambda req: req["kind"], cases)
    with pytest.raises(RouteNotFoundError, match=r"no route for key 'video'; routes are \['text', 'image'\]"):
        await strict.execute({"kind": "video"})


async def test_router_picks_by_tier_key() -> None:
    gpt4_mini, gpt4, gpt4_turbo = MockPrimitive("mini", return_value="m"), MockPrimitive("4", return_value="b"), MockPrimitive("t", return_value="q")
    router = Router({"fast": gpt4_mini, "balanced": gpt4, "quality": gpt4_turbo})
    response = await router.execute({"tier": "balanced", "prompt": "..."})
    assert response == "b" and gpt4.calls == [{"tier": "balanced", "prompt": "..."}]
    with pytest.raises(RouteNotFoundError, match=r"routes are \['fast', 'balanced', 'quality'\]"):
        await router.execute({"tier": "premium"})


async def test_router_fn_and_default_route() -> None:
    short, long = MockPrimitive("s", return_value="short"), MockPrimitive("l", return_value="long")
    router = Router({"short": short, "long": long}, router_fn=lambda req: "long" if len(req["prompt"]) > 5 else "nope", default="short")
    assert await router.execute({"prompt": "a very long prompt"}) == "long"
    assert await router.execute({"prompt": "hi"}) == "short"


async def test_cheapest_route_meeting_the_quality_tier() -> None:
    specs = {"fast": RouteSpec(cost=0.001, quality=1), "balanced": RouteSpec(cost=0.01, quality=2), "quality": RouteSpec(cost=0.05, quality=3)}
    routes = {k: MockPrimitive(k, return_value=k) for k in specs}
    router = Router(routes, policy=CheapestMeetingQuality(specs))
    assert await router.execute({"min_quality": 2}) == "balanced"
    assert await router.execute({}) == "fast"
    with pytest.raises(NoRouteMeetsQualityError, match="no route has quality >= 5"):
        await router.execute({"min_quality": 5})


async def test_lowest_latency_policy_learns_from_observations() -> None:
    policy = LowestLatency(alpha=0.5)
    routes = {"a": MockPrimitive("a", return_value="a"), "b": MockPrimitive("b", return_value="b")}
    router = Router(routes, policy=policy)
    assert [await router.execute({}) for _ in range(2)] == ["a", "b"]  # untried routes first
    policy.observe("a", 0.5, True)
    policy.observe("b", 0.01, True)
    assert await router.execute({}) == "b"
    policy.observe("b", 0.01, False)  # failures are penalised
    policy.observe("b", 0.01, False)
    assert await router.execute({}) == "a"


async def test_cost_aware_policy_respects_the_budget() -> None:
    specs = {"cheap": RouteSpec(cost=1.0, quality=1), "premium": RouteSpec(cost=3.0, quality=3)}
    policy = CostAware(specs, budget_usd=5.0)
    router = Router({k: MockPrimitive(k, return_value=k) for k in specs}, policy=policy)
    assert [await router.execute({}) for _ in range(3)] == ["premium", "cheap", "cheap"]
    assert policy.spent_usd == 5.0
    with pytest.raises(BudgetExceededError, match="budget of \\$5 exhausted"):
        await router.execute({})


def test_router_bad_input_is_rejected() -> None:
    with pytest.raises(ConfigError, match="Router: invalid routes=\\{\\}; expected a non-empty mapping"):
        Router({})
    with pytest.raises(ConfigError, match="Router: invalid default='x'"):
        Router({"a": MockPrimitive("a")}, default="x")
    with pytest.raises(ConfigError, match=r"missing \['b'\]"):
        Router({"a": MockPrimitive("a"), "b": MockPrimitive("b")}, policy=CostAware({"a": RouteSpec(1, 1)}, budget_usd=1))


async def test_flow_primitives_take_a_context() -> None:
    seen: list[str | None] = []

    def grab(data: Data, ctx: RunContext) -> Data:
        seen.append(ctx.workflow_id)
        return data

    await Sequential([grab]).execute({}, RunContext(workflow_id="w1"))
    assert seen == ["w1"]


async def test_router_with_default_accepts_unhashable_keys() -> None:
    from tta_dev_primitives import LowestLatency, MockPrimitive, Router

    policy = LowestLatency()
    router = Router({"a": MockPrimitive("a", return_value="A")}, router_fn=lambda req: ["not", "hashable"], default="a")
    assert await router.execute({}) == "A"
    observed = Router({"a": MockPrimitive("a", return_value="A")}, policy=policy, default="a")
    assert await observed.execute({}) == "A" and "a" in policy.latency
