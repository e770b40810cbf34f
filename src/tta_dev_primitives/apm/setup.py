"""The original package's `apm.setup`: `setup_apm()` once per process, then `get_tracer` and
`get_meter` for the code that instruments itself (`APMWorkflowPrimitive`, the decorators).

Built on our observability: the tracer provider is `configure_tracing`'s (so the nodes of our
plans are traced into it too), Prometheus metrics are `configure_metrics`' hook on
prometheus_client's default registry, and OpenTelemetry meters export to Prometheus through the
OTel SDK's Prometheus reader when `opentelemetry-exporter-prometheus` is installed. Like the
original, `setup_apm` serves no HTTP endpoint: serve `/metrics` with
`observability.start_metrics_server(prometheus_port)`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..executor._hooks import Hook, uninstall_hook
from ..observability._metrics import configure_metrics
from ..observability._support import installed
from ..observability._tracing import TracingHook, configure_tracing

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

__all__ = ["OPENTELEMETRY_AVAILABLE", "get_meter", "get_tracer", "is_apm_enabled", "setup_apm"]

logger = logging.getLogger(__name__)

OPENTELEMETRY_AVAILABLE: bool = installed("opentelemetry.sdk")
"""The original's flag: the OpenTelemetry SDK is installed (extra `otel`)."""

_tracer_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None
_initialized = False
_hooks: list[Hook] = []
_lock = threading.Lock()


def _prometheus_reader() -> MetricReader | None:
    """The OTel SDK's Prometheus reader (meters -> prometheus_client's registry), if installed."""
    if not installed("opentelemetry.exporter.prometheus"):
        return None
    from opentelemetry.exporter.prometheus import PrometheusMetricReader  # type: ignore[import-not-found,unused-ignore]

    return PrometheusMetricReader()  # type: ignore[no-any-return,unused-ignore]


def _extra_readers() -> list[MetricReader]:
    """More metric readers for the meter provider (none; tests add an in-memory one)."""
    return []


def setup_apm(
    service_name: str = "ai-workflow-primitives",
    service_version: str = "0.1.0",
    enable_prometheus: bool = True,
    enable_console: bool = False,
    prometheus_port: int = 9464,
) -> tuple[TracerProvider | None, MeterProvider | None]:
    """Set up tracing and metrics for `service_name` once per process (later calls return the
    first setup's providers); (None, None) without OpenTelemetry.

    The resource carries `service.name`, `service.version` and `library.name`. Spans are printed
    to the console when `enable_console`; every node of our plans is traced too. With
    `enable_prometheus`, our Prometheus metrics hook is installed and meters export through the
    OTel Prometheus reader when it is installed (`prometheus_port` is where you serve them).
    """
    global _tracer_provider, _meter_provider, _initialized
    if not OPENTELEMETRY_AVAILABLE:
        logger.warning("OpenTelemetry not available, APM disabled")
        return None, None
    with _lock:
        if _initialized:
            logger.info("APM already initialized")
            return _tracer_provider, _meter_provider
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.resources import Resource

        exporter: Any = None
        if enable_console:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporter = ConsoleSpanExporter()
        attributes = {"service.version": service_version, "library.name": "tta-workflow-primitives"}
        tracing = configure_tracing(service_name, exporter=exporter, resource_attributes=attributes)
        if tracing is not None:
            _hooks.append(tracing)
            _tracer_provider = tracing.provider
        logger.info("Tracer initialized for service: %s", service_name)

        readers = _extra_readers()
        if enable_prometheus:
            reader = _prometheus_reader()
            if reader is not None:
                readers.append(reader)
            hook = configure_metrics()
            if hook is not None:
                _hooks.append(hook)
            logger.info("Prometheus metrics enabled on port %d", prometheus_port)
        else:
            logger.info("Metrics provider initialized (no exporters)")
        resource = Resource.create({"service.name": service_name, **attributes})
        _meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        metrics.set_meter_provider(_meter_provider)
        _initialized = True
        return _tracer_provider, _meter_provider


def get_tracer(name: str = __name__) -> Tracer | None:
    """A tracer of the APM's provider; None (with a warning) before `setup_apm`, or without
    OpenTelemetry."""
    if not OPENTELEMETRY_AVAILABLE:
        return None
    if not _initialized or _tracer_provider is None:
        logger.warning("APM not initialized, call setup_apm() first")
        return None
    return _tracer_provider.get_tracer(name)


def get_meter(name: str = __name__) -> Meter | None:
    """A meter of the APM's provider; None (with a warning) before `setup_apm`, or without
    OpenTelemetry."""
    if not OPENTELEMETRY_AVAILABLE:
        return None
    if not _initialized or _meter_provider is None:
        logger.warning("APM not initialized, call setup_apm() first")
        return None
    return _meter_provider.get_meter(name)


def is_apm_enabled() -> bool:
    """Whether `setup_apm` has run (with OpenTelemetry installed)."""
    return OPENTELEMETRY_AVAILABLE and _initialized


def shutdown_apm() -> None:
    """Undo `setup_apm`: uninstall its hooks, flush and shut its providers down; `setup_apm`
    may run again (with new providers) afterwards."""
    global _tracer_provider, _meter_provider, _initialized
    with _lock:
        for hook in _hooks:
            if isinstance(hook, TracingHook):
                hook.shutdown()
            uninstall_hook(hook)
        _hooks.clear()
        if _meter_provider is not None:
            _meter_provider.shutdown()
        _tracer_provider = _meter_provider = None
        _initialized = False
