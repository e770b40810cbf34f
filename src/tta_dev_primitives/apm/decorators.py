"""The original package's `apm.decorators`: `trace_workflow` (a span per call) and
`track_metric` (a counter or a duration histogram per call), for async and sync functions.

Both do nothing until `setup_apm()` has run, as in the original; the function's result and
exceptions pass through unchanged.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, cast

from .setup import get_meter, get_tracer, is_apm_enabled

__all__ = ["trace_workflow", "track_metric"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

METRIC_TYPES = ("counter", "histogram")


def _wrap(func: Callable[P, R], around: Callable[[], Any]) -> Callable[P, R]:
    """`func` run inside the context manager `around()` makes per call (async or sync)."""
    if inspect.iscoroutinefunction(func):
        async_func = cast("Callable[P, Awaitable[object]]", func)

        @functools.wraps(func)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> object:
            with around():
                return await async_func(*args, **kwargs)

        return cast("Callable[P, R]", run_async)

    @functools.wraps(func)
    def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
        with around():
            return func(*args, **kwargs)

    return run_sync


def trace_workflow(span_name: str | None = None, attributes: dict[str, Any] | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace each call in a span `span_name` (default `<module>.<function>`) with `attributes`
    plus `function.name` and `function.module`; it ends with `function.result` "success" or
    "error" (then `error.type` and `error.message`)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        module, name = func.__module__, getattr(func, "__name__", repr(func))

        @contextmanager
        def span() -> Iterator[None]:
            tracer = get_tracer(module) if is_apm_enabled() else None
            if tracer is None:
                yield
                return
            attrs = {**(attributes or {}), "function.name": name, "function.module": module}
            with tracer.start_as_current_span(span_name or f"{module}.{name}", attributes=attrs) as current:
                try:
                    yield
                except Exception as exc:
                    current.set_attribute("function.result", "error")
                    current.set_attribute("error.type", type(exc).__name__)
                    current.set_attribute("error.message", str(exc))
                    raise
                current.set_attribute("function.result", "success")

        return _wrap(func, span)

    return decorate


def track_metric(metric_name: str, metric_type: str = "counter", description: str = "", unit: str = "1") -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count each call (`metric_type="counter"`) or record its duration in seconds
    (`"histogram"`) under `metric_name`, with `status` "success" or "error" (and `error_type`).
    Another type is logged as unknown and the function runs unmeasured."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        module = func.__module__

        @contextmanager
        def measured() -> Iterator[None]:
            meter = get_meter(module) if is_apm_enabled() else None
            if meter is None:
                yield
                return
            if metric_type == "counter":
                counter = meter.create_counter(metric_name, description=description, unit=unit)
                record: Callable[[float, dict[str, str]], None] = lambda _seconds, labels: counter.add(1, labels)  # noqa: E731
            elif metric_type == "histogram":
                histogram = meter.create_histogram(metric_name, description=description, unit=unit)
                record = lambda seconds, labels: histogram.record(seconds, labels)  # noqa: E731
            else:
                logger.warning("Unknown metric type: %s", metric_type)
                yield
                return
            started = time.perf_counter()
            try:
                yield
            except Exception as exc:
                record(time.perf_counter() - started, {"status": "error", "error_type": type(exc).__name__})
                raise
            record(time.perf_counter() - started, {"status": "success"})

        return _wrap(func, measured)

    return decorate
