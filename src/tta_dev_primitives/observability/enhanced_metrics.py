"""The original package's enhanced metrics: latency percentiles, SLOs with error budgets,
throughput and cost, one record type per concern (`observability.enhanced_metrics`).

Each keeps the original's fields, defaults and `to_dict()` keys. Every time source is a
`clock` keyword (a function returning seconds; wall time by default, as the original), so
tests can pass a fake clock's `now` instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_SLO_WINDOW_SECONDS",
    "NUMPY_AVAILABLE",
    "CostMetrics",
    "PercentileMetrics",
    "SLOConfig",
    "SLOMetrics",
    "ThroughputMetrics",
    "percentile",
]

DEFAULT_SLO_WINDOW_SECONDS = 30 * 24 * 60 * 60
"""The original's SLO window: 30 days."""

NUMPY_AVAILABLE = False
"""The original's flag. Percentiles here never need numpy: they interpolate linearly between
the closest ranks, numpy's default method, which the original used when numpy was installed."""

RPS_WINDOW_SECONDS = 60.0
"""Requests per second are counted over the requests started in the last minute."""

_QUANTILES = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99))

Clock = Callable[[], float]


def percentile(ordered: list[float], fraction: float) -> float:
    """The `fraction` quantile of the sorted, non-empty `ordered`, interpolated linearly between
    the closest ranks (numpy.percentile's default)."""
    rank = (len(ordered) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class PercentileMetrics:
    """Latency samples of one primitive (the latest `max_samples`) and their percentiles."""

    name: str
    durations: list[float] = field(default_factory=list)
    max_samples: int = 10000

    def record(self, duration_ms: float) -> None:
        """Add a sample; beyond `max_samples` the oldest ones are dropped."""
        self.durations.append(duration_ms)
        if len(self.durations) > self.max_samples:
            del self.durations[: len(self.durations) - self.max_samples]

    def get_percentiles(self) -> dict[str, float]:
        """p50, p90, p95 and p99 of the samples (all 0.0 without samples)."""
        if not self.durations:
            return {key: 0.0 for key, _ in _QUANTILES}
        ordered = sorted(self.durations)
        return {key: float(percentile(ordered, fraction)) for key, fraction in _QUANTILES}

    def reset(self) -> None:
        """Drop every sample."""
        self.durations.clear()


@dataclass
class SLOConfig:
    """A service level objective: `target` compliance (0.99 = 99%) of requests under
    `threshold_ms` (a latency SLO), or of successful requests when `error_rate_threshold` is set
    (an availability SLO)."""

    name: str
    target: float
    threshold_ms: float | None = None
    error_rate_threshold: float | None = None
    window_seconds: int = DEFAULT_SLO_WINDOW_SECONDS


@dataclass
class SLOMetrics:
    """Requests counted against an SLO, with its compliance and remaining error budget."""

    config: SLOConfig
    total_requests: int = 0
    successful_requests: int = 0
    requests_within_threshold: int = 0
    window_start: float = field(default=math.nan)
    clock: Clock = field(default=time.time, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if math.isnan(self.window_start):
            self.window_start = self.clock()

    @property
    def availability(self) -> float:
        """Successful requests / requests (1.0 before any request)."""
        return 1.0 if self.total_requests == 0 else self.successful_requests / self.total_requests

    @property
    def latency_compliance(self) -> float:
        """Requests within the latency threshold / requests (1.0 before any request)."""
        return 1.0 if self.total_requests == 0 else self.requests_within_threshold / self.total_requests

    @property
    def error_budget_remaining(self) -> float:
        """The share of the error budget left, 0.0 to 1.0: for an availability SLO, the allowed
        failures (requests x (1 - target)) not yet spent; for a latency SLO, 1.0 while compliant,
        else compliance / target."""
        if self.config.error_rate_threshold:
            allowed = self.total_requests * (1 - self.config.target)
            failed = self.total_requests - self.successful_requests
            if allowed == 0:
                return 1.0 if failed == 0 else 0.0
            return max(0.0, min(1.0, (allowed - failed) / allowed))
        compliance = self.latency_compliance
        if compliance >= self.config.target:
            return 1.0
        return compliance / self.config.target

    @property
    def is_compliant(self) -> bool:
        """Whether the SLO is met now (availability or latency compliance >= target)."""
        if self.config.error_rate_threshold:
            return self.availability >= self.config.target
        return self.latency_compliance >= self.config.target

    def record_request(self, duration_ms: float, success: bool) -> None:
        """Count one request; it is within the latency threshold whether or not it succeeded."""
        self.total_requests += 1
        if success:
            self.successful_requests += 1
        if self.config.threshold_ms and duration_ms <= self.config.threshold_ms:
            self.requests_within_threshold += 1

    def reset(self) -> None:
        """Zero the counts and start a new window."""
        self.total_requests = self.successful_requests = self.requests_within_threshold = 0
        self.window_start = self.clock()

    def to_dict(self) -> dict[str, Any]:
        """The original's keys: name, target, threshold_ms, total_requests, availability,
        latency_compliance, error_budget_remaining, is_compliant, window_age_seconds."""
        return {
            "name": self.config.name,
            "target": self.config.target,
            "threshold_ms": self.config.threshold_ms,
            "total_requests": self.total_requests,
            "availability": self.availability,
            "latency_compliance": self.latency_compliance,
            "error_budget_remaining": self.error_budget_remaining,
            "is_compliant": self.is_compliant,
            "window_age_seconds": self.clock() - self.window_start,
        }


@dataclass
class ThroughputMetrics:
    """Requests started, requests in flight, and requests per second over the last minute."""

    name: str
    total_requests: int = 0
    active_requests: int = 0
    window_start: float = field(default=math.nan)
    request_timestamps: list[float] = field(default_factory=list)
    max_timestamps: int = 1000
    clock: Clock = field(default=time.time, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if math.isnan(self.window_start):
            self.window_start = self.clock()

    def start_request(self) -> None:
        """A request started (its start time kept, the latest `max_timestamps` of them)."""
        self.active_requests += 1
        self.total_requests += 1
        self.request_timestamps.append(self.clock())
        if len(self.request_timestamps) > self.max_timestamps:
            del self.request_timestamps[: len(self.request_timestamps) - self.max_timestamps]

    def end_request(self) -> None:
        """A request ended (never below zero in flight)."""
        self.active_requests = max(0, self.active_requests - 1)

    @property
    def requests_per_second(self) -> float:
        """Requests started in the last 60 s / seconds since the oldest of them (0.0 when none,
        or when they all started this instant)."""
        now = self.clock()
        recent = [ts for ts in self.request_timestamps if now - ts <= RPS_WINDOW_SECONDS]
        if not recent:
            return 0.0
        span = now - min(recent)
        return 0.0 if span == 0 else len(recent) / span

    def reset(self) -> None:
        """Zero the counts and start a new window."""
        self.total_requests = self.active_requests = 0
        self.window_start = self.clock()
        self.request_timestamps.clear()

    def to_dict(self) -> dict[str, Any]:
        """The original's keys: name, total_requests, active_requests, requests_per_second,
        window_age_seconds."""
        return {
            "name": self.name,
            "total_requests": self.total_requests,
            "active_requests": self.active_requests,
            "requests_per_second": self.requests_per_second,
            "window_age_seconds": self.clock() - self.window_start,
        }


@dataclass
class CostMetrics:
    """Money spent (by operation, e.g. per model) and saved (e.g. by cache hits)."""

    name: str
    total_cost: float = 0.0
    total_savings: float = 0.0
    cost_by_operation: dict[str, float] = field(default_factory=dict)

    def record_cost(self, cost: float, operation: str = "default") -> None:
        """Add `cost`, also to `operation`'s share."""
        self.total_cost += cost
        self.cost_by_operation[operation] = self.cost_by_operation.get(operation, 0.0) + cost

    def record_savings(self, savings: float) -> None:
        """Add `savings`."""
        self.total_savings += savings

    @property
    def net_cost(self) -> float:
        """Cost minus savings."""
        return self.total_cost - self.total_savings

    def reset(self) -> None:
        """Zero cost and savings."""
        self.total_cost = self.total_savings = 0.0
        self.cost_by_operation.clear()

    def to_dict(self) -> dict[str, Any]:
        """The original's keys: name, total_cost, total_savings, net_cost, cost_by_operation."""
        return {
            "name": self.name,
            "total_cost": self.total_cost,
            "total_savings": self.total_savings,
            "net_cost": self.net_cost,
            "cost_by_operation": self.cost_by_operation,
        }
