"""Routing policies for Router: cheapest route meeting a quality tier, lowest latency, cost budget."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import attrs

from ...errors import BudgetExceededError, ConfigError, NoRouteMeetsQualityError
from ..._validate import check_fraction, check_non_negative, check_positive

__all__ = ["BudgetExceededError", "CheapestMeetingQuality", "CostAware", "LowestLatency", "NoRouteMeetsQualityError", "RouteSpec"]


@attrs.frozen
class RouteSpec:
    """What a route costs per call (USD, estimated) and how good it is (higher is better)."""

    cost: float
    quality: int

    def __attrs_post_init__(self) -> None:
        check_non_negative("RouteSpec", "cost", self.cost)
        if isinstance(self.quality, bool) or not isinstance(self.quality, int):
            raise ConfigError("RouteSpec", "quality", "an int", self.quality)


class _SpecPolicy:
    def __init__(self, owner: str, specs: Mapping[str, RouteSpec]) -> None:
        if not isinstance(specs, Mapping) or not specs or not all(isinstance(s, RouteSpec) for s in specs.values()):
            raise ConfigError(owner, "specs", "a non-empty mapping of route -> RouteSpec", specs)
        self.owner = owner
        self.specs = dict(specs)

    def validate_routes(self, routes: list[str]) -> None:
        missing = [r for r in routes if r not in self.specs]
        if missing:
            raise ConfigError(self.owner, "specs", f"a RouteSpec for every route (missing {missing})", sorted(self.specs))

    def observe(self, route: str, seconds: float, ok: bool) -> None:
        """Nothing to learn by default."""


def _quality_from(key: str) -> Callable[[object], int]:
    def required(request: object) -> int:
        value = request.get(key, 0) if isinstance(request, Mapping) else getattr(request, key, 0)
        return int(value)

    return required


class CheapestMeetingQuality(_SpecPolicy):
    """The cheapest route whose declared quality is at least what the request asks for.

    The required quality is `request["min_quality"]` by default (0 when absent), or what
    `required_quality(request)` returns.
    """

    def __init__(
        self, specs: Mapping[str, RouteSpec], *, required_quality: Callable[[object], int] | None = None, quality_key: str = "min_quality"
    ) -> None:
        super().__init__("CheapestMeetingQuality", specs)
        self.required_quality = required_quality or _quality_from(quality_key)

    def choose(self, request: object, routes: list[str]) -> str:
        """The cheapest route whose quality meets the request's (NoRouteMeetsQualityError when
        none does)."""
        need = self.required_quality(request)
        fit = [r for r in routes if self.specs[r].quality >= need]
        if not fit:
            best = max(self.specs[r].quality for r in routes)
            raise NoRouteMeetsQualityError(f"no route has quality >= {need} (best is {best}); routes: {routes}")
        return min(fit, key=lambda r: (self.specs[r].cost, -self.specs[r].quality))


class LowestLatency:
    """The route with the lowest observed latency (an EWMA); untried routes are tried first.

    A failed call counts as its duration plus `failure_penalty` seconds, so failing routes sink.
    """

    def __init__(self, *, alpha: float = 0.3, failure_penalty: float = 1.0) -> None:
        self.alpha = check_fraction("LowestLatency", "alpha", alpha)
        if self.alpha == 0:
            raise ConfigError("LowestLatency", "alpha", "a number in (0, 1]", alpha)
        self.failure_penalty = check_non_negative("LowestLatency", "failure_penalty", failure_penalty)
        self.latency: dict[str, float] = {}
        self._lock = threading.Lock()

    def choose(self, request: object, routes: list[str]) -> str:
        """A route not measured yet, else the one with the lowest latency average."""
        for route in routes:
            if route not in self.latency:
                return route
        return min(routes, key=lambda r: self.latency[r])

    def observe(self, route: str, seconds: float, ok: bool) -> None:
        """Fold the call's latency (plus the failure penalty when it failed) into its route's average."""
        sample = seconds if ok else seconds + self.failure_penalty
        with self._lock:
            previous = self.latency.get(route)
            self.latency[route] = sample if previous is None else self.alpha * sample + (1 - self.alpha) * previous


class CostAware(_SpecPolicy):
    """The best-quality route whose cost fits the remaining budget (ties go to the cheaper).

    Every routed call is charged its route's declared cost; when nothing fits, BudgetExceededError.
    """

    def __init__(self, specs: Mapping[str, RouteSpec], *, budget_usd: float) -> None:
        super().__init__("CostAware", specs)
        self.budget_usd = check_positive("CostAware", "budget_usd", budget_usd)
        self.spent_usd = 0.0
        self._lock = threading.Lock()

    @property
    def remaining_usd(self) -> float:
        """What is left of the budget."""
        return max(0.0, self.budget_usd - self.spent_usd)

    def choose(self, request: object, routes: list[str]) -> str:
        """The best-quality route whose declared cost fits what is left of the budget
        (BudgetExceededError when none fits)."""
        remaining = self.remaining_usd
        fit = [r for r in routes if self.specs[r].cost <= remaining]
        if not fit:
            raise BudgetExceededError(f"budget of ${self.budget_usd:g} exhausted (${remaining:.4g} left); cheapest route costs ${min(self.specs[r].cost for r in routes):g}")
        return max(fit, key=lambda r: (self.specs[r].quality, -self.specs[r].cost))

    def observe(self, route: str, seconds: float, ok: bool) -> None:
        """Count the route's declared cost as spent."""
        with self._lock:
            self.spent_usd += self.specs[route].cost
