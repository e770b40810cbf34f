"""A guard's policy answers the compiler's questions itself (compiler.policy.Policy): a guard
written by a user takes part in the analysis and the lints with no change to the compiler, and
one that declares nothing is neutral."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tta_dev_primitives import compile, node
from tta_dev_primitives.compiler._policy import CachePolicy, Policy
from tta_dev_primitives.stdlib import GuardPolicy
from tta_dev_primitives.stdlib.cache import Cache
from tta_dev_primitives.stdlib.flow import Router
from tta_dev_primitives.stdlib._guard import GuardSite
from tta_dev_primitives.stdlib.recovery import Bulkhead, Hedge, Retry, Timeout

pytestmark = pytest.mark.anyio

Call = Callable[[object], Awaitable[object]]


class Twice(GuardPolicy):
    """Runs its child again once if it fails, after a fixed one-second pause."""

    kind = "twice"

    def max_runs(self) -> int:
        return 2

    def latency(self, child: float) -> float:
        return child * 2 + 1.0

    def wrap(self, call: Call, site: GuardSite) -> Call:
        async def twice(x: object) -> object:
            try:
                return await call(x)
            except Exception:
                return await call(x)

        return twice


class Tagged(GuardPolicy):
    """Declares nothing to the compiler: neutral bounds, no lint."""

    kind = "tagged"

    def wrap(self, call: Call, site: GuardSite) -> Call:
        return call


class Queue(Tagged):
    """Waits for a slot without bound."""

    def latency(self, child: float) -> float:
        return math.inf


class Again(Tagged):
    """A retry of its own: the lints treat it as one."""

    retries = True

    def max_runs(self) -> int:
        return 3


def llm(name: str = "llm") -> Any:
    return node(lambda x: x, name=name).declare(idempotent=True, cost=0.5, max_latency=2.0)


async def test_a_user_guard_that_declares_bounds_changes_the_analysis() -> None:
    plan = compile(Twice()(llm()))
    a = plan.analysis
    assert a is not None
    assert (a.max_attempts, a.max_attempts_node) == (2, "llm")
    assert a.latency == 2.0 * 2 + 1.0 and a.cost == 0.5 * 2 and a.width == 1
    assert "worst-case attempts  2 (of 'llm')" in plan.explain()
    assert await plan.run(3) == 3
    nested = compile(Twice()(Retry(max_attempts=3, jitter=False)(llm()))).analysis
    assert nested is not None and nested.max_attempts == 6 and nested.cost == 3.0


def test_a_user_guard_that_declares_nothing_is_neutral() -> None:
    alone, tagged = compile(llm()), compile(Tagged()(llm()))
    assert alone.analysis is not None and tagged.analysis is not None
    assert (tagged.analysis.max_attempts, tagged.analysis.latency, tagged.analysis.cost, tagged.analysis.width, tagged.analysis.depth) == (
        alone.analysis.max_attempts, alone.analysis.latency, alone.analysis.cost, alone.analysis.width, alone.analysis.depth
    )
    assert tagged.lints == ()
    assert compile(Tagged()(node(lambda x: x, name="plain"))).lints == ()
    neutral = Policy()
    assert (neutral.max_runs(), neutral.max_concurrent_runs(), neutral.latency(1.5), neutral.repeats(), neutral.identity_refs()) == (1, 1, 1.5, False, ())
    assert not (neutral.retries or neutral.limits_time or neutral.wants_fallback_outside)


def test_a_guard_that_waits_without_bound_is_named_as_a_cause() -> None:
    a = compile(Queue()(llm())).analysis
    assert a is not None and math.isinf(a.latency) and a.unbounded == ("tagged(llm)",)
    bounded = compile(Timeout(3.0)(Queue()(llm()))).analysis
    assert bounded is not None and bounded.latency == 3.0 and bounded.unbounded == ()


def test_lint_facts_come_from_the_policy() -> None:
    risky = node(lambda x: x, name="risky")  # not declared idempotent
    assert {lint.rule for lint in compile(Twice()(risky)).lints} == {"retry-not-idempotent"}
    nested = compile(Again()(llm().retry()))
    assert {lint.rule for lint in nested.lints} == {"nested-retry"}
    outside = compile(Timeout(5.0)(Again()(llm())))
    assert {lint.rule for lint in outside.lints} == {"timeout-outside-retry"}


def test_the_stdlib_policies_answer_for_themselves() -> None:
    retry = Retry(max_attempts=3, initial_delay=1.0, backoff_factor=2.0, jitter=False)
    # each wait up to max_delay (10 s): a retry_after hint may raise it that far
    assert (retry.max_runs(), retry.latency(1.5), retry.retries, retry.repeats()) == (3, 1.5 * 3 + 10.0 + 10.0, True, True)
    assert Retry(max_attempts=1).repeats()  # the lint warns about retrying at all
    hedge = Hedge(0.5, max_attempts=3)
    assert (hedge.max_runs(), hedge.max_concurrent_runs(), hedge.latency(1.0), hedge.retries) == (3, 3, 2.0, False)
    assert Timeout(2.0).latency(5.0) == 2.0 and Timeout(2.0).limits_time
    assert math.isinf(Bulkhead(1).latency(0.0))
    cache = Cache(ttl=5)
    assert isinstance(cache, CachePolicy) and cache.latency(1.0) == 1.0 and cache.max_runs() == 1


def test_a_router_counts_its_dearest_route_not_all_of_them() -> None:
    cheap, dear = llm("cheap"), node(lambda x: x, name="dear").declare(cost=2.0, max_latency=5.0)
    plan = compile(Router({"c": cheap, "d": dear}, router_fn=lambda r: "c"))
    a = plan.analysis
    assert a is not None and a.cost == 2.0 and a.depth == 2
