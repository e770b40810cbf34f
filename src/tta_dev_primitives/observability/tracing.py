"""OpenTelemetry tracing as an executor hook (extra `otel`).

One trace per run, rooted at the plan's root node; a span per node, named after the node and
nested as the plan nests (parallel branches are siblings); retries, fallbacks, timeouts, breaker transitions, cache hits/misses and
saga compensations are span events. Context crosses tasks and worker threads, and other
processes as W3C `traceparent` (put it in `RunContext.metadata["traceparent"]`).

    from tta_dev_primitives.observability import configure_tracing
    configure_tracing(service_name="agent", otlp_endpoint="http://127.0.0.1:4318", protocol="http")

Without the extra, or with the collector down, workflows run unchanged: nothing raises, the
export queue is bounded, and one warning is logged.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, cast

from ..context import RunContext, _current
from ..executor.hooks import Hook, NodeInfo, RunInfo, install_hook, uninstall_hook
from ._support import optional, warn_once
from .semconv import SPAN_KIND

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "TracingHook",
    "configure_tracing",
    "extract_traceparent",
    "genai",
    "inject_traceparent",
    "record_llm_usage",
    "trace_operation",
]

P = ParamSpec("P")
R = TypeVar("R")

_pending_run: ContextVar[RunInfo | None] = ContextVar("tta_pending_run", default=None)


def _openinference() -> tuple[Any, Any] | None:
    """OpenInference's published attribute names and span kinds, if installed (extra `otel`)."""
    try:
        from openinference.semconv.trace import OpenInferenceSpanKindValues, SpanAttributes
    except ImportError:
        return None
    return SpanAttributes, OpenInferenceSpanKindValues


_OI = _openinference()


def _attributes(node: NodeInfo, ctx: RunContext) -> dict[str, object]:
    attributes: dict[str, object] = {**node.attributes, "workflow.correlation_id": ctx.correlation_id}
    if ctx.workflow_id is not None:
        attributes["workflow.id"] = ctx.workflow_id
    if _OI is not None:
        _openinference_attributes(attributes, ctx)
    return attributes


def _openinference_attributes(attributes: dict[str, object], ctx: RunContext) -> None:
    """OpenInference's view of a node beside the OpenTelemetry GenAI one: its span kind (a model
    call is LLM, a node marked as a tool or agent is TOOL or AGENT, the rest CHAIN), the model's
    name and provider, and the session id, so Phoenix-style backends recognise the spans."""
    names, kinds = _OI  # type: ignore[misc]
    if SPAN_KIND not in attributes:
        llm = "gen_ai.operation.name" in attributes
        attributes[names.OPENINFERENCE_SPAN_KIND] = (kinds.LLM if llm else kinds.CHAIN).value
    model = attributes.get("gen_ai.request.model")
    if model is not None:
        attributes[names.LLM_MODEL_NAME] = model
    provider = attributes.get("gen_ai.provider.name")
    if provider is not None:
        attributes[names.LLM_PROVIDER] = provider
    if ctx.session_id is not None:
        attributes[names.SESSION_ID] = ctx.session_id


class _SpanState:
    """A node's span, the context token that made it current, and its stream's progress."""

    __slots__ = ("chunks", "span", "started", "token")

    def __init__(self, span: Span, token: object) -> None:
        self.span = span
        self.token = token
        self.started = time.perf_counter()
        self.chunks = 0


class TracingHook(Hook):
    """Creates the spans. Build it with `configure_tracing` or from your own tracer."""

    def __init__(self, tracer: Tracer) -> None:
        from opentelemetry import context as otel_context
        from opentelemetry import trace

        self._tracer = tracer
        self._trace = trace
        self._context = otel_context
        self._error = trace.StatusCode.ERROR

    # -- runs and nodes -----------------------------------------------------------------------
    # The root node's span is the root of the run's trace (no extra span per run): it carries
    # the run's attributes and continues a remote trace when the context has a `traceparent`.

    def on_run_start(self, run: RunInfo) -> None:
        _pending_run.set(run)

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        _pending_run.set(None)

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        attributes = _attributes(node, ctx)
        parent: Context | None = None
        run = _pending_run.get()
        if run is not None:  # the first node of the run: its root
            _pending_run.set(None)
            attributes["workflow.plan"] = run.plan_name
            attributes["workflow.fingerprint"] = run.fingerprint
            traceparent = ctx.metadata.get("traceparent") if ctx._metadata else None
            if isinstance(traceparent, str):
                parent = extract_traceparent({"traceparent": traceparent})
        span = self._tracer.start_span(node.name, context=parent, attributes=attributes)  # type: ignore[arg-type]
        token = self._context.attach(self._trace.set_span_in_context(span))
        return _SpanState(span, token)

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        self._finish(cast(_SpanState, state), None)

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        self._finish(cast(_SpanState, state), error)

    def on_chunk(self, node: NodeInfo, ctx: RunContext, state: object, index: int, chunk: object) -> None:
        if state is None:  # a cache replaying a stored stream: nothing to time
            return
        span_state = cast(_SpanState, state)
        if index == 0:
            span_state.span.set_attribute("stream.time_to_first_chunk_s", time.perf_counter() - span_state.started)
        span_state.chunks = index + 1

    def _finish(self, state: _SpanState, error: BaseException | None) -> None:
        span, token = state.span, state.token
        if state.chunks:
            span.set_attribute("stream.chunks", state.chunks)
        try:
            if error is None:
                pass  # success leaves the status unset, as OpenTelemetry asks of instrumentation
            elif isinstance(error, Exception):
                span.record_exception(error)
                span.set_status(self._trace.Status(self._error, f"{type(error).__name__}: {error}"))
            else:
                span.set_attribute("workflow.cancelled", True)
        finally:
            self._context.detach(token)  # type: ignore[arg-type]
            span.end()

    # -- events -----------------------------------------------------------------------------

    def _event(self, name: str, attributes: dict[str, str | int | float | bool]) -> None:
        self._trace.get_current_span().add_event(name, attributes)

    def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
        self._event("retry", {"retry.attempt": attempt, "retry.delay_s": delay, "exception.type": type(error).__name__})

    def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
        self._event("fallback", {"fallback.failed_route": failed, "exception.type": type(error).__name__})

    def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
        self._event("timeout", {"timeout.seconds": seconds})

    def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
        self._event("circuit_state", {"circuit.from": old, "circuit.to": new})

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self._event("cache_hit", {"cache.key": key[:128]})

    def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self._event("cache_miss", {"cache.key": key[:128]})

    def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
        attributes: dict[str, str | int | float | bool] = {"saga.step": step, "saga.compensated": error is None}
        if error is not None:
            attributes["exception.type"] = type(error).__name__
        self._event("compensation", attributes)


class _GuardedExporter:
    """Wraps an exporter so a collector that is down costs one warning, never an exception."""

    def __init__(self, inner: SpanExporter, endpoint: str) -> None:
        self._inner = inner
        self._endpoint = endpoint

    def export(self, spans: object) -> object:
        from opentelemetry.sdk.trace.export import SpanExportResult

        try:
            result = self._inner.export(spans)  # type: ignore[arg-type]
        except Exception as error:
            result = SpanExportResult.FAILURE
            warn_once(f"export:{self._endpoint}", "span export to %s failed (%r); spans are dropped until it recovers", self._endpoint, error)
        if result is SpanExportResult.FAILURE:
            warn_once(f"export:{self._endpoint}", "span export to %s failed; spans are dropped until it recovers", self._endpoint)
        return result

    def shutdown(self) -> None:
        try:
            self._inner.shutdown()
        except Exception:  # noqa: S110 - shutting down a broken exporter must not raise
            pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return bool(self._inner.force_flush(timeout_millis))
        except Exception:
            return False


def configure_tracing(
    service_name: str = "tta-dev-primitives",
    *,
    otlp_endpoint: str | None = None,
    protocol: Literal["grpc", "http"] = "http",
    exporter: SpanExporter | None = None,
    set_global: bool = True,
    install: bool = True,
    max_queue_size: int = 2048,
    export_timeout_s: float = 5.0,
) -> TracingHook | None:
    """Set up a TracerProvider and install the tracing hook for every plan.

    Spans go to `exporter` (e.g. an InMemorySpanExporter in tests; exported synchronously) or
    to an OTLP collector at `otlp_endpoint` over `protocol` (batched, queue bounded at
    `max_queue_size`, export failures logged once). Returns the hook, or None when the `otel`
    extra is not installed (one warning; workflows run unchanged).
    """
    if optional("opentelemetry.sdk.trace", "otel") is None:
        return None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    if otlp_endpoint is not None:
        remote = _otlp_exporter(otlp_endpoint, protocol, export_timeout_s)
        if remote is not None:
            guarded = cast("SpanExporter", _GuardedExporter(remote, otlp_endpoint))
            batch = min(512, max_queue_size)
            provider.add_span_processor(BatchSpanProcessor(guarded, max_queue_size=max_queue_size, max_export_batch_size=batch))
    if set_global:
        trace.set_tracer_provider(provider)
    hook = TracingHook(provider.get_tracer("tta_dev_primitives"))
    hook.provider = provider  # type: ignore[attr-defined]
    if install:
        global _installed
        if _installed is not None:  # configuring again replaces, never duplicates, the spans
            uninstall_hook(_installed)
        install_hook(hook)
        _installed = hook
    return hook


_installed: TracingHook | None = None


def _otlp_exporter(endpoint: str, protocol: str, timeout: float) -> SpanExporter | None:
    if protocol == "grpc":
        module = optional("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "otel")
        return None if module is None else cast("SpanExporter", module.OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=timeout))
    if protocol == "http":
        module = optional("opentelemetry.exporter.otlp.proto.http.trace_exporter", "otel")
        url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
        return None if module is None else cast("SpanExporter", module.OTLPSpanExporter(endpoint=url, timeout=timeout))
    from ..errors import ConfigError

    raise ConfigError("configure_tracing", "protocol", "'grpc' or 'http'", protocol)


def inject_traceparent(carrier: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Write the current trace context (W3C `traceparent`) into `carrier` (e.g. message headers)."""
    carrier = {} if carrier is None else carrier
    if optional("opentelemetry.propagate", "otel") is not None:
        from opentelemetry.propagate import inject

        inject(carrier)
    return carrier


def extract_traceparent(carrier: MutableMapping[str, str]) -> Context | None:
    """The trace context found in `carrier` (W3C `traceparent`), to continue a trace."""
    if optional("opentelemetry.propagate", "otel") is None:
        return None
    from opentelemetry.propagate import extract

    return extract(carrier)


_TRACE: list[ModuleType | None] = []


def _otel_trace() -> ModuleType | None:
    """`opentelemetry.trace`, imported once (None without the otel extra)."""
    if not _TRACE:
        try:
            from opentelemetry import trace
        except ImportError:
            _TRACE.append(None)
        else:
            _TRACE.append(trace)
    return _TRACE[0]


def record_llm_usage(
    *,
    model: str | None = None,
    provider: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    operation: str | None = None,
    response_model: str | None = None,
) -> None:
    """Set OpenTelemetry GenAI attributes on the current span (call it inside an LLM node)."""
    trace = _otel_trace()
    if trace is None:
        return
    span = trace.get_current_span()
    if not span.is_recording():  # no tracing: skip the attribute calls (agents call this per turn)
        return
    pairs: list[tuple[str, object]] = [
        ("gen_ai.operation.name", operation),
        ("gen_ai.provider.name", provider),
        ("gen_ai.request.model", model),
        ("gen_ai.response.model", response_model),
        ("gen_ai.usage.input_tokens", input_tokens),
        ("gen_ai.usage.output_tokens", output_tokens),
    ]
    if _OI is not None:  # the same usage under OpenInference's names
        names = _OI[0]
        total = input_tokens + output_tokens if input_tokens is not None and output_tokens is not None else None
        pairs += [
            (names.LLM_TOKEN_COUNT_PROMPT, input_tokens),
            (names.LLM_TOKEN_COUNT_COMPLETION, output_tokens),
            (names.LLM_TOKEN_COUNT_TOTAL, total),
            (names.LLM_MODEL_NAME, response_model or model),
        ]
    for key, value in pairs:
        if value is not None:
            span.set_attribute(key, value)


N = TypeVar("N")


def genai(node: N, *, provider: str, model: str, operation: str = "chat") -> N:
    """Mark a node as an LLM call: its spans carry `gen_ai.operation.name`,
    `gen_ai.provider.name` and `gen_ai.request.model` (token usage comes from
    `record_llm_usage` inside the node)."""
    from ..dsl.core import Node

    if not isinstance(node, Node):
        from ..errors import BuildError

        raise BuildError(f"genai(): expected a Node, got {type(node).__name__}")
    return cast(N, node.with_attributes(**{"gen_ai.operation.name": operation, "gen_ai.provider.name": provider, "gen_ai.request.model": model}))


def trace_operation(span_name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (async or sync) so each call is a span, a child of the current one.

    Exceptions are recorded on the span and re-raised. Without the `otel` extra it is a no-op.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name: str = span_name or str(getattr(fn, "__qualname__", "operation"))

        def tracer() -> Tracer | None:
            try:
                from opentelemetry import trace
            except ImportError:
                return None
            return trace.get_tracer("tta_dev_primitives")

        def attributes() -> dict[str, str]:
            ctx = _current.get(None)
            return {"workflow.correlation_id": ctx.correlation_id} if ctx is not None else {}

        if inspect.iscoroutinefunction(fn):
            async_fn = cast("Callable[P, Awaitable[object]]", fn)

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> object:
                active = tracer()
                if active is None:
                    return await async_fn(*args, **kwargs)
                with active.start_as_current_span(name, attributes=attributes()):
                    return await async_fn(*args, **kwargs)

            return cast("Callable[P, R]", run_async)

        @functools.wraps(fn)
        def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
            active = tracer()
            if active is None:
                return fn(*args, **kwargs)
            with active.start_as_current_span(name, attributes=attributes()):
                return fn(*args, **kwargs)

        return run_sync

    return decorate
