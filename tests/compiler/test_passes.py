"""The optimization and analysis passes: what each rewrites, and what it must leave alone."""

from __future__ import annotations

import math
from pathlib import Path
import re

import anyio
import pytest

from tta_dev_primitives import (
    CircuitBreaker,
    ConfigError,
    RunContext,
    branch,
    compile,
    node,
    parallel,
    resilient,
)
from tta_dev_primitives.compiler import ParOp, SeqOp
from tta_dev_primitives.compiler._ir import StageOp, walk
from tta_dev_primitives.compiler.passes import Budget, BudgetError, LintError, StateKeyError
from tta_dev_primitives.dsl import const
from tta_dev_primitives.stdlib.cache import Cache, SQLiteStore
from tta_dev_primitives.stdlib.recovery import Retry

pytestmark = pytest.mark.anyio


def rules(plan: object) -> list[str]:
    return [c.rule for p in plan.passes for c in p.changes]  # type: ignore[attr-defined]


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, x: int) -> int:
        self.count += 1
        return x + 1


async def test_prune_removes_constant_branches() -> None:
    a, b = node(lambda x: "a", name="a"), node(lambda x: "b", name="b")
    plan = compile(branch(True, a, b))
    assert plan.root.name == "a" and await plan.run(0) == "a"
    assert rules(plan) == ["prune.const-branch"]
    flag = compile(branch(const(False), a, b))
    assert flag.root.name == "b"
    assert compile(branch(True, a, b), disable="prune").root.kind == "branch"


async def test_cse_computes_identical_pure_branches_once() -> None:
    calls = Calls()
    pure = node(calls, name="embed").declare(pure=True)
    plan = compile(parallel(pure, pure, node(lambda x: x)))
    assert isinstance(plan.root, ParOp) and len(plan.root.children) == 2
    assert await plan.run(1) == (2, 2, 1) and calls.count == 1
    impure_calls = Calls()
    impure = node(impure_calls)
    untouched = compile(parallel(impure, impure))
    assert isinstance(untouched.root, ParOp) and len(untouched.root.children) == 2
    await untouched.run(1)
    assert impure_calls.count == 2  # not pure: both run


async def test_hoist_runs_independent_state_steps_concurrently() -> None:
    running = 0
    peak = 0

    def step(key: str) -> object:
        async def write(x: int, ctx: RunContext) -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await anyio.sleep(0)
            ctx.state[key] = x
            running -= 1
            return x

        return node(write, name=f"write_{key}").declare(passthrough=True, writes={key})

    async def combine_state(x: int, ctx: RunContext) -> int:
        return int(ctx.state["a"]) + int(ctx.state["b"]) + int(ctx.state["c"])  # type: ignore[call-overload]

    reader = node(combine_state).declare(reads={"a", "b", "c"})
    plan = compile(step("a") >> step("b") >> step("c") >> reader)
    assert isinstance(plan.root, SeqOp) and isinstance(plan.root.children[0], StageOp)
    assert len(plan.root.children[0].children) == 3 and "hoist.stage" in rules(plan)
    assert await plan.run(2) == 6 and peak == 3


async def test_hoist_keeps_conflicting_steps_in_order() -> None:
    def w(x: int) -> int:
        return x

    first = node(w, name="first").declare(passthrough=True, writes={"k"})
    second = node(w, name="second").declare(passthrough=True, reads={"k"})
    plan = compile(first >> second)
    assert not any(isinstance(op, StageOp) for op in walk(plan.root))


async def test_hoist_computes_a_common_pure_prefix_once() -> None:
    calls = Calls()
    prefix = node(calls, name="normalize").declare(pure=True)
    plan = compile(parallel(prefix >> node(lambda x: x * 2), prefix >> node(lambda x: x * 3)))
    assert isinstance(plan.root, SeqOp) and plan.root.children[0].name == "normalize"
    assert await plan.run(1) == (4, 6) and calls.count == 1
    assert "hoist.common-prefix" in rules(plan)


def test_reading_a_state_key_nobody_writes_is_an_error() -> None:
    reader = node(lambda x: x, name="reader").declare(reads={"user"})
    with pytest.raises(StateKeyError, match=r"'reader' .* reads state key\(s\) \['user'\], but no node of the plan writes them"):
        compile(reader)
    compile(reader, state_keys={"user"})  # provided by the caller


async def test_fuse_cache_merges_nested_caches_with_the_stricter_settings() -> None:
    pure = node(Calls(), name="f").declare(pure=True)
    inner = Cache(max_size=100, ttl=60)
    outer = Cache(max_size=10, ttl=600)
    plan = compile(outer(inner(pure)))
    guards = [op for op in walk(plan.root) if op.kind == "guard"]
    assert len(guards) == 1
    merged = guards[0].guard  # type: ignore[attr-defined]
    assert (merged.max_size, merged.ttl) == (10, 60)
    assert "fuse_cache.nested" in rules(plan)


async def test_fuse_cache_drops_inner_caches_under_a_chain_cache_and_shares_identical_ones() -> None:
    a = node(Calls(), name="a").declare(pure=True)
    b = node(Calls(), name="b").declare(pure=True)
    chain = Cache(ttl=60)(a.cached(ttl=60) >> b.cached(ttl=60))
    plan = compile(chain)
    assert [op.kind for op in walk(plan.root)].count("guard") == 1
    assert rules(plan).count("fuse_cache.inner") == 2
    calls = Calls()
    f = node(calls, name="f").declare(pure=True)
    twice = compile(parallel(f.cached(ttl=30), node(lambda x: x) >> f.cached(ttl=30)), disable="cse")
    stores = {id(op.guard) for op in walk(twice.root) if op.kind == "guard"}  # type: ignore[attr-defined]
    assert len(stores) == 1 and "fuse_cache.share" in rules(twice)


async def test_fuse_cache_keeps_inner_caches_the_user_asked_for(tmp_path: Path) -> None:
    """A cache with a store you gave, or one that caches failures, is never fused away."""
    a = node(Calls(), name="a").declare(pure=True)
    b = node(Calls(), name="b").declare(pure=True)
    disk = Cache(store=SQLiteStore(str(tmp_path / "a.db")), scope="a-v1")
    failures = Cache(negative_ttl=30)
    plan = compile((a.cached(disk) >> b.cached(failures)).cached(ttl=60))
    assert "fuse_cache.inner" not in rules(plan)
    assert await plan.run(1) == 3 and disk.stats().size == 1


async def test_a_shared_cache_is_cleared_and_invalidated_through_either_cache() -> None:
    calls = Calls()
    f = node(calls, name="f").declare(pure=True)
    first, second = Cache(ttl=30), Cache(ttl=30)
    plan = compile(parallel(f.cached(first), node(lambda x: x) >> f.cached(second)), disable="cse")
    assert "fuse_cache.share" in rules(plan)
    await plan.run(1)
    assert await second.invalidate(1)  # the entry lives in the store both places share
    await plan.run(1)
    assert first.stats().size == 1
    await second.clear()
    assert first.stats().size == 0


def test_lints_flag_risky_resilience_arrangements() -> None:
    call = node(lambda x: x, name="call")
    plan = compile(call.retry().timeout(5))
    found = {lint.rule for lint in plan.lints}
    assert found == {"timeout-outside-retry", "retry-not-idempotent"}
    assert compile(call.declare(idempotent=True).timeout(1).retry()).lints == ()
    nested = compile(call.declare(idempotent=True).retry().retry())
    assert {lint.rule for lint in nested.lints} == {"nested-retry"}
    fallback_inside = compile(call.declare(idempotent=True).fallback(call.declare(idempotent=True)).retry())
    assert "fallback-not-outermost" in {lint.rule for lint in fallback_inside.lints}
    streaming = compile(call.declare(idempotent=True, streaming=True).retry())
    assert "retry-streaming" in {lint.rule for lint in streaming.lints}
    with pytest.raises(LintError, match=r"error: \[timeout-outside-retry\] 'timeout\(retry\(call\)\)'"):
        compile(call.retry().timeout(5), strict=True)
    assert "timeout-outside-retry" in plan.explain()


def test_analysis_of_attempts_latency_cost_width_and_depth() -> None:
    llm = node(lambda x: x, name="llm").declare(idempotent=True, cost=0.01, max_latency=2.0)
    retried = Retry(max_attempts=3, initial_delay=1.0, backoff_factor=2.0, max_delay=2.0, jitter=False)(llm.timeout(1.5))
    plan = compile(parallel(retried, llm) >> node(lambda t: t, name="join").declare(max_latency=0.5))
    a = plan.analysis
    assert a is not None
    assert a.max_attempts == 3 and a.max_attempts_node == "llm"
    assert a.latency == pytest.approx(max(1.5 * 3 + 2.0 + 2.0, 2.0) + 0.5)  # waits up to max_delay (a retry_after hint)
    assert a.cost == pytest.approx(0.01 * 3 + 0.01)
    assert a.width == 2 and a.depth == 2
    text = plan.explain()
    assert "worst-case attempts  3 (of 'llm')" in text and "worst-case cost      $0.04" in text
    assert math.isinf(compile(node(lambda x: x)).analysis.latency)  # type: ignore[union-attr]


def test_budgets_fail_compilation_with_an_explanation() -> None:
    llm = node(lambda x: x, name="llm").declare(idempotent=True, cost=0.2)
    workflow = llm.retry(max_attempts=3).retry(max_attempts=2)
    with pytest.raises(BudgetError, match=r"worst-case cost \$1\.2 exceeds the budget of \$1"):
        compile(workflow, budget=Budget(max_cost=1.0))
    with pytest.raises(BudgetError, match=r"'llm' may run 6 times \(nested retries multiply\), above the budget of 5"):
        compile(workflow, budget=Budget(max_attempts=5))
    with pytest.raises(BudgetError, match=r"unbounded because of llm .*add a timeout"):
        compile(workflow, budget=Budget(max_latency=10))
    with pytest.raises(ConfigError, match=r"Budget: invalid max_cost=-1; expected a finite number >= 0"):
        Budget(max_cost=-1)


def test_explain_lists_each_pass_with_actions_and_reasons() -> None:
    pure = node(Calls(), name="p").declare(pure=True)
    plan = compile(parallel(pure, pure) >> node(lambda t: t, name="out"))
    text = plan.explain()
    assert re.search(r"cse +1 change\n +removed +cse\.parallel-branch +'p': same pure computation as branch 0", text)
    assert "analysis:" in text and "max parallel width   1" in text


def test_every_pass_can_be_disabled_and_results_do_not_change() -> None:
    calls = Calls()
    pure = node(calls, name="p").declare(pure=True)
    workflow = parallel(pure, pure) >> node(lambda t: t[0] + t[1])
    everything = compile(workflow).run_sync(1)
    nothing = compile(workflow, disable=["prune", "cse", "hoist_parallel", "fuse_cache", "lint_resilience", "analyze", "flatten"]).run_sync(1)
    assert everything == nothing == 4


def test_resilient_pipeline_has_no_lints_when_the_node_is_idempotent() -> None:
    call = node(lambda x: x, name="api").declare(idempotent=True)
    built = resilient(call, attempt_timeout=1, breaker=CircuitBreaker("lint"), retry=Retry(), total_timeout=10, fallback=call)
    assert compile(built).lints == ()


def test_an_unpriced_model_call_makes_the_cost_unknown_not_zero() -> None:
    from tta_dev_primitives import genai

    priced = node(lambda x: x, name="priced").declare(cost=0.01, max_latency=1.0)
    unpriced = genai(node(lambda x: x, name="ask"), provider="local", model="my-llama")
    plan = compile(priced >> unpriced >> genai(node(lambda x: x, name="my-llama"), provider="local", model="my-llama"))
    a = plan.analysis
    assert a is not None and a.unpriced == ("'ask' (model 'my-llama')", "'my-llama'") and not a.cost_known
    text = plan.explain()
    assert "worst-case cost      unknown: 2 model calls have no cost bound: 'ask' (model 'my-llama'), 'my-llama' (1 of 3 leaves declare a cost)" in text
    data = plan.to_dict()["analysis"]
    assert isinstance(data, dict) and data["cost"] is None and data["unpriced"] == list(a.unpriced)
    with pytest.raises(BudgetError, match=r"worst-case cost unknown: .* so it cannot be held to the budget of \$100 \(price the model"):
        compile(priced >> unpriced, budget=Budget(max_cost=100))
    # a model call that declares its cost is priced; plain functions cost nothing, and that is known
    known = compile(priced >> unpriced.declare(cost=0.02), budget=Budget(max_cost=1))
    assert known.analysis is not None and known.analysis.cost_known and known.analysis.cost == pytest.approx(0.03)
    pure = compile(node(lambda x: x, name="f") >> node(lambda x: x, name="g"), budget=Budget(max_cost=0))
    assert pure.analysis is not None and pure.analysis.cost_known and pure.analysis.cost == 0
    assert "worst-case cost      $0 (0 of 2 leaves declare a cost)" in pure.explain()
