"""WorkerTelemetry: our tracing and metrics in every process of a Dask cluster (extra `dask`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from ..extras import require
from ._metrics import configure_metrics
from ._tracing import configure_tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["WorkerTelemetry"]


def _plugin_base() -> type:
    plugin = require("distributed.diagnostics.plugin", "dask", "WorkerTelemetry")
    base: type = plugin.WorkerPlugin
    return base


class WorkerTelemetry(_plugin_base()):  # type: ignore[misc]  # a Dask class, resolved on import
    """A Dask worker plugin that sets up our tracing and metrics in every worker process, now
    and as workers join: `client.register_plugin(WorkerTelemetry(otlp_endpoint=...))`.

    Worker spans then join the caller's traces (remote calls carry `traceparent`); worker
    metrics go to prometheus_client's default registry, which each worker serves at
    `/metrics` on its Dask HTTP port (`client.scheduler_info()["workers"][w]["services"]`).
    `exporter` is a function that makes a span exporter in the worker (an exporter object
    holds locks and does not travel)."""

    def __init__(
        self,
        *,
        service_name: str = "tta-dev-primitives-worker",
        otlp_endpoint: str | None = None,
        protocol: Literal["grpc", "http"] = "http",
        project: str | None = None,
        exporter: Callable[[], SpanExporter] | None = None,
        tracing: bool = True,
        metrics: bool = True,
    ) -> None:
        self.service_name = service_name
        self.otlp_endpoint = otlp_endpoint
        self.protocol = protocol
        self.project = project
        self.exporter = exporter
        self.tracing = tracing
        self.metrics = metrics

    def setup(self, worker: object) -> None:
        if self.tracing:
            exporter = self.exporter() if self.exporter is not None else None
            configure_tracing(
                self.service_name, otlp_endpoint=self.otlp_endpoint, protocol=self.protocol, exporter=exporter, project=self.project
            )
        if self.metrics:
            configure_metrics()
