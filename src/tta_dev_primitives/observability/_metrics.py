"""Prometheus metrics as an executor hook (extra `prometheus`).

Histograms of node and run duration, counters of outcomes, retries, fallbacks, timeouts and
cache hits/misses, and a circuit-state gauge. Labels are bounded: `primitive_type`, `primitive`
(the node's name), `outcome` (and `workflow`, the plan's name, for runs); correlation and trace
ids never become labels: the trace id rides on histogram exemplars (OpenMetrics).

    from tta_dev_primitives.observability import configure_metrics, start_metrics_server
    configure_metrics()
    start_metrics_server(9464)          # http://127.0.0.1:9464/metrics
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from ..context import RunContext
from ..executor._hooks import Hook, NodeInfo, RunInfo, install_hook
from ..executor._journaling import find_suspension
from .._validate import check_int
from ._support import optional

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["MetricsHook", "configure_metrics", "start_metrics_server", "track_metrics"]

P = ParamSpec("P")
R = TypeVar("R")

DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}

EXEMPLAR_INTERVAL_S = 1.0
"""Per series, at most one exemplar a second: Prometheus keeps only the latest per bucket."""


def _current_span() -> Callable[[], object | None]:
    """A function returning the current OpenTelemetry span (None without OTel)."""
    try:
        from opentelemetry import trace
    except ImportError:
        return lambda: None
    return trace.get_current_span


def _exemplar_of(span: object | None) -> dict[str, str] | None:
    if span is None:
        return None
    context = span.get_span_context()  # type: ignore[attr-defined]
    return {"trace_id": format(context.trace_id, "032x")} if context.is_valid else None


def _trace_exemplar() -> Callable[[], dict[str, str] | None]:
    """A function giving {"trace_id": ...} for the current span, or None (no OTel, no span)."""
    try:
        from opentelemetry import trace
    except ImportError:
        return lambda: None
    get_span = trace.get_current_span

    def exemplar() -> dict[str, str] | None:
        context = get_span().get_span_context()
        if not context.is_valid:
            return None
        return {"trace_id": format(context.trace_id, "032x")}

    return exemplar


OTHER = "other"
DEFAULT_MAX_LABEL_VALUES = 200
"""Distinct workflow names, and distinct node names, recorded before new ones become "other"."""


class LabelCap:
    """Bounds the distinct values of one label: the first `limit` values are kept, later new ones
    are recorded as "other". Plans built per request (names made from request data) must not grow
    Prometheus without bound. Thread-safe; a known value costs one set lookup."""

    __slots__ = ("_lock", "_seen", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if value not in self._seen:
                if len(self._seen) >= self.limit:
                    return OTHER
                self._seen.add(value)
        return value


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, Exception):
        return "error"
    return "suspended" if find_suspension(error) is not None else "cancelled"  # an interrupt is not a failure


class MetricsHook(Hook):
    """Records the metrics into `registry` (prometheus_client's default registry if None)."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, namespace: str = "tta", max_label_values: int = DEFAULT_MAX_LABEL_VALUES
    ) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        limit = check_int("MetricsHook", "max_label_values", max_label_values, minimum=1)
        self._workflow = LabelCap(limit)
        self._primitive = LabelCap(limit)

        reg = registry if registry is not None else REGISTRY
        node_labels = ["primitive_type", "primitive", "outcome"]
        self.node_duration = Histogram(
            f"{namespace}_node_duration_seconds", "Duration of node executions", node_labels, registry=reg, buckets=DURATION_BUCKETS
        )
        self.node_calls = Counter(f"{namespace}_node_calls", "Node executions by outcome", node_labels, registry=reg)
        self.run_duration = Histogram(
            f"{namespace}_run_duration_seconds", "Duration of plan runs", ["workflow", "outcome"], registry=reg, buckets=DURATION_BUCKETS
        )
        self.runs = Counter(f"{namespace}_runs", "Plan runs by outcome", ["workflow", "outcome"], registry=reg)
        self.retries = Counter(f"{namespace}_retries", "Retry attempts after a failure", ["primitive"], registry=reg)
        self.fallbacks = Counter(f"{namespace}_fallbacks", "Fallbacks taken", ["primitive"], registry=reg)
        self.timeouts = Counter(f"{namespace}_timeouts", "Timeouts", ["primitive"], registry=reg)
        self.cache_hits = Counter(f"{namespace}_cache_hits", "Cache hits", ["primitive"], registry=reg)
        self.cache_misses = Counter(f"{namespace}_cache_misses", "Cache misses", ["primitive"], registry=reg)
        self.circuit_state = Gauge(f"{namespace}_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open", ["primitive"], registry=reg)
        self.time_to_first_token = Histogram(
            f"{namespace}_time_to_first_token_seconds",
            "Time from a streaming node's start to its first chunk (a model's first token)",
            ["primitive_type", "primitive"],
            registry=reg,
            buckets=DURATION_BUCKETS,
        )
        self.compensations = Counter(f"{namespace}_compensations", "Saga compensations by outcome", ["primitive", "outcome"], registry=reg)
        self._exemplar = _trace_exemplar()
        self._span = _current_span()
        # label children resolved once per series: `.labels()` is the slow part of a record
        self._series: dict[tuple[str, str, str], list[object]] = {}
        self._run_series: dict[tuple[str, str], tuple[object, object]] = {}

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        key = (self._workflow(run.plan_name), _outcome(error))
        series = self._run_series.get(key)
        if series is None:
            series = self._run_series[key] = (self.run_duration.labels(*key), self.runs.labels(*key))
        histogram, counter = series
        histogram.observe(time.perf_counter() - run.started_at, self._exemplar())  # type: ignore[attr-defined]
        counter.inc()  # type: ignore[attr-defined]

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        return (time.perf_counter(), self._span())

    def _record(self, node: NodeInfo, state: object, error: BaseException | None) -> None:
        start, span = cast("tuple[float, object | None]", state)
        now = time.perf_counter()
        key = (node.primitive_type, self._primitive(node.name), _outcome(error))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [self.node_duration.labels(*key), self.node_calls.labels(*key), -math.inf]
        histogram, counter, last_exemplar = series
        if now - last_exemplar >= EXEMPLAR_INTERVAL_S:  # type: ignore[operator]
            series[2] = now
            histogram.observe(now - start, _exemplar_of(span))  # type: ignore[attr-defined]
        else:
            histogram.observe(now - start)  # type: ignore[attr-defined]
        counter.inc()  # type: ignore[attr-defined]

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        self._record(node, state, None)

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        self._record(node, state, error)

    def on_chunk(self, node: NodeInfo, ctx: RunContext, state: object, index: int, chunk: object) -> None:
        if index == 0 and state is not None:  # None: a cache replaying a stored stream
            start, span = cast("tuple[float, object | None]", state)
            histogram = self.time_to_first_token.labels(node.primitive_type, self._primitive(node.name))
            histogram.observe(time.perf_counter() - start, _exemplar_of(span))

    def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
        self.retries.labels(self._primitive(node.name)).inc()

    def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
        self.fallbacks.labels(self._primitive(node.name)).inc()

    def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
        self.timeouts.labels(self._primitive(node.name)).inc()

    def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
        self.circuit_state.labels(self._primitive(node.name)).set(CIRCUIT_STATES.get(new, -1))

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self.cache_hits.labels(self._primitive(node.name)).inc()

    def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self.cache_misses.labels(self._primitive(node.name)).inc()

    def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
        self.compensations.labels(self._primitive(node.name), "ok" if error is None else "error").inc()


_hooks_lock = threading.Lock()
_HOOK_ATTR = "_tta_metrics_hook"  # kept on the registry itself: ids of dead registries get reused
_TRACKED_ATTR = "_tta_tracked_metrics"


def configure_metrics(
    registry: CollectorRegistry | None = None,
    *,
    namespace: str = "tta",
    install: bool = True,
    max_label_values: int = DEFAULT_MAX_LABEL_VALUES,
) -> MetricsHook | None:
    """Create (once per registry) and install the metrics hook for every plan.

    `max_label_values` bounds the distinct workflow names and node names recorded; later new
    ones are recorded as "other".

    Returns None when the `prometheus` extra is not installed (one warning; workflows run
    unchanged).
    """
    client = optional("prometheus_client", "prometheus")
    if client is None:
        return None
    reg = registry if registry is not None else client.REGISTRY
    with _hooks_lock:
        hook = getattr(reg, _HOOK_ATTR, None)
        if hook is None:
            hook = MetricsHook(reg, namespace=namespace, max_label_values=max_label_values)
            setattr(reg, _HOOK_ATTR, hook)
    if install:
        install_hook(hook)
    return hook


def start_metrics_server(port: int, addr: str = "127.0.0.1", *, registry: CollectorRegistry | None = None) -> object:
    """Serve `/metrics` on addr:port in a daemon thread; returns the server (stop it with
    `.shutdown()` then `.server_close()`), or None without the `prometheus` extra."""
    client = optional("prometheus_client", "prometheus")
    if client is None:
        return None
    reg = registry if registry is not None else client.REGISTRY
    server, _thread = client.start_http_server(port, addr=addr, registry=reg)
    return server


def _metric_name(name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_:]", "_", name)
    return cleaned if re.match(r"[a-zA-Z_:]", cleaned) else f"_{cleaned}"


def track_metrics(name: str, *, registry: CollectorRegistry | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (async or sync): a `<name>_seconds` histogram of its duration and a
    `<name>_calls_total` counter, both labelled by outcome. A no-op without the extra."""
    client = optional("prometheus_client", "prometheus")

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if client is None:
            return fn
        reg = registry if registry is not None else client.REGISTRY
        base = _metric_name(name)
        with _hooks_lock:
            tracked: dict[str, tuple[object, object]] = reg.__dict__.setdefault(_TRACKED_ATTR, {})
            metrics = tracked.get(base)
            if metrics is None:
                metrics = tracked[base] = (
                    client.Histogram(f"{base}_seconds", f"Duration of {name}", ["outcome"], registry=reg, buckets=DURATION_BUCKETS),
                    client.Counter(f"{base}_calls", f"Calls of {name}", ["outcome"], registry=reg),
                )
        histogram, counter = metrics
        exemplar = _trace_exemplar()

        def record(start: float, outcome: str) -> None:
            histogram.labels(outcome).observe(time.perf_counter() - start, exemplar())  # type: ignore[attr-defined]
            counter.labels(outcome).inc()  # type: ignore[attr-defined]

        if inspect.iscoroutinefunction(fn):
            async_fn = cast("Callable[P, Awaitable[object]]", fn)

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> object:
                start = time.perf_counter()
                try:
                    result = await async_fn(*args, **kwargs)
                except BaseException as error:
                    record(start, _outcome(error))
                    raise
                record(start, "ok")
                return result

            return cast("Callable[P, R]", run_async)

        @functools.wraps(fn)
        def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                record(start, _outcome(error))
                raise
            record(start, "ok")
            return result

        return run_sync

    return decorate
