"""Cost tracking and budget enforcement for LLM calls (the seed's CostTrackingPrimitive and
BudgetEnforcementPrimitive), as guards on any node that returns a ChatResponse.

    cost_tracker = CostTrackingPrimitive(llm_primitive)
    enforcer = BudgetEnforcementPrimitive(cost_tracker, budget_usd=10.0)
    answer = await enforcer.execute(ChatRequest.of("hi"))
    report = await enforcer.get_cost_report()
"""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import attrs

from ...dsl.core import Node
from ..compiled import CompiledPrimitive
from ..flow.policies import BudgetExceededError
from ..guard import GuardNode, GuardPolicy, GuardSite
from ...validate import check_positive
from .model import ChatRequest, ChatResponse
from .prices import DEFAULT_PRICES, ModelPrice, call_cost_bound, price_for
from .primitive import LLMPrimitive

__all__ = [
    "DEFAULT_PRICES",
    "BudgetEnforcementPrimitive",
    "CostReport",
    "CostTracker",
    "CostTrackingPrimitive",
    "ModelPrice",
    "ModelUsage",
]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)


@attrs.define
class ModelUsage:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@attrs.frozen
class CostReport:
    """Spend so far, in total and per model; `budget_usd`/`remaining_usd` under a budget."""

    total_usd: float
    by_model: Mapping[str, ModelUsage]
    budget_usd: float | None = None
    remaining_usd: float | None = None


class CostTracker(GuardPolicy):
    """Records the cost of every ChatResponse its node returns (priced by model)."""

    kind = "cost_tracking"

    def __init__(self, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        self.prices = dict(prices)
        self.usage: dict[str, ModelUsage] = {}
        self._lock = threading.Lock()

    def record(self, response: ChatResponse) -> float:
        price = price_for(response.model, self.prices)
        if price is None:
            from ...errors import ConfigError

            raise ConfigError("CostTracker", "prices", f"a ModelPrice for model {response.model!r} (add it to the prices)", sorted(self.prices))
        cost = price.cost(response.input_tokens, response.output_tokens)
        with self._lock:
            usage = self.usage.setdefault(response.model, ModelUsage())
            usage.calls += 1
            usage.input_tokens += response.input_tokens
            usage.output_tokens += response.output_tokens
            usage.cost_usd += cost
        return cost

    @property
    def total_usd(self) -> float:
        return sum(u.cost_usd for u in self.usage.values())

    def report(self, budget_usd: float | None = None) -> CostReport:
        by_model = {k: attrs.evolve(v) for k, v in self.usage.items()}
        total = self.total_usd
        remaining = None if budget_usd is None else max(0.0, budget_usd - total)
        return CostReport(total, by_model, budget_usd, remaining)

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        async def tracked(x: object) -> object:
            result = await call(x)
            if isinstance(result, ChatResponse):  # (usage goes on the model call's own span, once)
                self.record(result)
            return result

        return tracked


class CostTrackingPrimitive(GuardNode[ChatRequest, ChatResponse], CompiledPrimitive[ChatRequest, ChatResponse]):
    """`CostTrackingPrimitive(llm_primitive)`: the LLM node, with its spend recorded. With your own
    `prices`, an LLMPrimitive's worst-case cost per call (for the analysis and budgets) is
    priced with them too."""

    def __init__(self, llm: Node[ChatRequest, ChatResponse], *, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        self.tracker = CostTracker(prices)
        if prices is not DEFAULT_PRICES and isinstance(llm, LLMPrimitive):
            bound = call_cost_bound(llm.model, prices)
            if bound is not None:
                llm = llm.declare(cost=bound)
        GuardNode.__init__(self, llm, self.tracker)

    async def get_cost_report(self) -> CostReport:
        return self.tracker.report()


class _Budget(GuardPolicy):
    """Refuses a call once the spend, plus the worst case of the calls still in flight, reaches
    the budget: concurrent calls (an agent's parallel tool calls, many runs at once) cannot all
    pass the check before the first of them is priced."""

    kind = "budget"

    def __init__(self, tracker: CostTracker, budget_usd: float) -> None:
        self.tracker = tracker
        self.budget_usd = check_positive("BudgetEnforcementPrimitive", "budget_usd", budget_usd)
        self.in_flight_usd = 0.0
        """The worst-case cost of the calls under way (reserved until they are priced)."""
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {"budget_usd": self.budget_usd}

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        reserve = _worst_case(site)

        async def enforced(x: object) -> object:
            with self._lock:
                spent = self.tracker.total_usd
                if spent + self.in_flight_usd >= self.budget_usd:
                    pending = f", ${self.in_flight_usd:.4f} reserved by calls in flight" if self.in_flight_usd else ""
                    raise BudgetExceededError(
                        f"LLM budget of ${self.budget_usd:g} exhausted (spent ${spent:.4f}{pending}); the call was not made"
                    )
                self.in_flight_usd += reserve
            try:
                return await call(x)
            finally:
                with self._lock:
                    self.in_flight_usd -= reserve

        return enforced


def _worst_case(site: GuardSite) -> float:
    """The worst-case cost of one call of the guarded node (its declared costs, see
    `call_cost_bound`); 0 when unknown or unbounded (then only the spend so far counts)."""
    if site.inner is None:
        return 0.0
    from ...compiler.passes.analyze import analyze

    cost = analyze(site.inner).cost
    return cost if math.isfinite(cost) else 0.0


class BudgetEnforcementPrimitive(GuardNode[ChatRequest, ChatResponse], CompiledPrimitive[ChatRequest, ChatResponse]):
    """Refuses calls (BudgetExceededError) once the tracked spend reaches `budget_usd`; calls in
    flight count at their worst case (when the model's bounds and price give one), so concurrent
    calls cannot overshoot the budget by more than one call."""

    def __init__(self, cost_tracker: CostTrackingPrimitive, *, budget_usd: float) -> None:
        self.cost_tracker = cost_tracker
        self.budget = _Budget(cost_tracker.tracker, budget_usd)
        GuardNode.__init__(self, cost_tracker, self.budget)

    async def get_cost_report(self) -> CostReport:
        return self.cost_tracker.tracker.report(self.budget.budget_usd)
