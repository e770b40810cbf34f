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
import os
import time
import traceback
import weakref
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextvars import ContextVar, Token
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, cast

from ..context import RunContext, _current
from ..executor._hooks import Hook, NodeInfo, RunInfo, install_hook, uninstall_hook
from ..executor._journaling import find_suspension
from ._support import optional, tell_once, warn_once
from ._content import CONTENT_LIMIT, record_content
from ._model_spans import input_attributes, output_attributes
from ._views import Message, ModelInput, ModelOutput, model_view
from ._export import guarded_batch_processor
from ._redaction import scrub
from ._run_links import for_root
from .context_propagation import extract_trace_context
from ._semconv import PROJECT_NAME, SPAN_KIND

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "TraceDetail",
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



def _openinference() -> tuple[Any, Any, Any] | None:
    """OpenInference's published attribute names, span kinds and mime types, if installed (extra `otel`)."""
    try:
        from openinference.semconv.trace import OpenInferenceMimeTypeValues, OpenInferenceSpanKindValues, SpanAttributes
    except ImportError:
        return None
    return SpanAttributes, OpenInferenceSpanKindValues, OpenInferenceMimeTypeValues


_OI = _openinference()


def _run_attributes(ctx: RunContext) -> dict[str, str]:
    """What every span of a run carries: its correlation id, workflow id and session id."""
    attributes = {"workflow.correlation_id": ctx.correlation_id}
    if ctx.workflow_id is not None:
        attributes["workflow.id"] = ctx.workflow_id
    if ctx.session_id is not None:  # OpenTelemetry's and OpenInference's name alike
        attributes["session.id"] = ctx.session_id
    return attributes


def _node_attributes(node: NodeInfo) -> dict[str, object]:
    """What every span of `node` carries, whatever the run: its telemetry attributes and
    OpenInference's view of them."""
    attributes = dict(node.attributes)
    if _OI is not None:
        _openinference_attributes(attributes)
    return attributes


_NODES_KEPT = 4096
"""Nodes whose span attributes a hook keeps computed (see TracingHook._attributes)."""


def _openinference_attributes(attributes: dict[str, object]) -> None:
    """OpenInference's view of a node beside the OpenTelemetry GenAI one: its span kind (a model
    call is LLM, a node marked as a tool or agent is TOOL or AGENT, the rest CHAIN), the model's
    name and provider, so Phoenix-style backends recognise the spans."""
    names, kinds, _ = _OI  # type: ignore[misc]
    if SPAN_KIND not in attributes:
        llm = "gen_ai.operation.name" in attributes
        attributes[names.OPENINFERENCE_SPAN_KIND] = (kinds.LLM if llm else kinds.CHAIN).value
    model = attributes.get("gen_ai.request.model")
    if model is not None:
        attributes[names.LLM_MODEL_NAME] = model
    provider = attributes.get("gen_ai.provider.name")
    if provider is not None:
        attributes[names.LLM_PROVIDER] = provider


_Open = tuple["Span", "Context", "_SpanState | None"]
"""A hook's innermost open span, the context that holds it (its children's parent), and the
state of the run's root span when content is recorded (a streamed run's output goes on it)."""


class _SpanState:
    """A node's span, the context tokens that made it current, its stream's progress, and (when
    content is recorded for it) the text its stream produced so far."""

    __slots__ = ("chunks", "content", "inner_token", "own_token", "root", "span", "started", "text", "text_size", "token")

    own_token: Token[_Open | None]
    inner_token: Token[Span | None]
    """The tokens that made the span this hook's innermost and the innermost of all (set once
    the state exists: the hook's entry holds the state's `root`)."""

    def __init__(self, span: Span, token: object, content: bool) -> None:
        self.root: _SpanState | None = None
        """The run's root span's state, when content is recorded (None otherwise)."""
        self.span = span
        self.token = token
        self.started = time.perf_counter()
        self.chunks = 0
        self.content = content
        self.text: list[str] = []
        self.text_size = 0


_MODEL_CALL = "gen_ai.operation.name"
"""The attribute that marks a node as a model call (`genai()`, LLMPrimitive, chat_stream)."""
_LEAVES = frozenset({"call", "stream"})
_innermost: ContextVar[Span | None] = ContextVar("tta_tracing_innermost", default=None)
_HOOKS: weakref.WeakSet[TracingHook] = weakref.WeakSet()
"""Every TracingHook, so usage reported inside a node reaches each hook's span of it."""
"""The span any TracingHook made current last: at a run's start, an ambient span that is not
this one is the user's own (a request span, a `trace_operation`), and the run nests under it."""


TraceDetail = Literal["calls", "all"]
"""Which ops get spans: "calls" (the default) gives the run's root and every op that runs
code (functions, model calls, tools, agents, streams, sub-plans) a span; "all" gives every op
one, structure and guards included (sequences, loops, retries, caches, cost tracking)."""

_DETAILS = ("calls", "all")
_SHOWN_KINDS = (SPAN_KIND, _MODEL_CALL)
"""Attributes that make an op a span at any detail: nodes marked as a model call, tool,
agent or chain (`genai()`, `tool()`, `agent()`, or your own `with_attributes`)."""


class TracingHook(Hook):
    """Creates the spans. Build it with `configure_tracing` or from your own tracer.

    A trace shows the work: by default (`detail="calls"`) the run's root and every node that
    runs code (a function, a model call, a tool, an agent, a stream, a sub-plan) is a span, and
    the structure and guards around them (sequences, parallels, loops, retries, timeouts,
    caches, cost tracking) are not: their events (a retry, a cache hit, a fallback) go on the
    nearest span around them. `detail="all"` gives every op its span, for debugging the plan
    itself. A node marked with an OpenInference span kind (`with_attributes(**{SPAN_KIND:
    "CHAIN"})`) is a span at any detail.

    Each hook keeps its own chain of parents, so two hooks on one plan (two providers, two
    backends) each export a whole, separate tree. A run nests under the span that is current
    when it starts (yours, or a node's when a plan runs inside a node).

    With `record_content=True` spans also carry their node's input and output as OpenInference
    `input.value` / `output.value` (with their mime types): JSON for structured values, the
    text itself for strings and for a stream's text chunks, secrets masked as in logs
    (`redact`), cut at `content_limit` characters. Content goes on the run's root span and on
    leaves, model calls, tools, agents and any node marked with a span kind (not on the
    structural spans between them, which would repeat it). Off by default: prompts and answers are user data.

    A model call's span also reads as a conversation, under OpenInference's names: the
    settings its request sets (`llm.invocation_parameters`), the tools it offers (`llm.tools`)
    and why the model stopped (`gen_ai.response.finish_reasons`) always; the messages sent and
    the reply (`llm.input_messages`, `llm.output_messages`) with `record_content`, each masked
    and cut at `content_limit` (see `_model_spans`).
    """

    def __init__(
        self,
        tracer: Tracer,
        *,
        record_content: bool = False,
        content_limit: int = CONTENT_LIMIT,
        provider: TracerProvider | None = None,
        detail: TraceDetail = "calls",
    ) -> None:
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        _check_settings("TracingHook", content_limit, detail)
        self.detail: TraceDetail = detail
        """Which ops get spans (see `TraceDetail`)."""
        self._every_op = detail == "all"
        if record_content and _OI is None:
            message = (
                "record_content needs openinference-semantic-conventions (pip install 'tta-dev-primitives[otel]'); "
                "inputs and outputs are not recorded"
            )
            warn_once("content:openinference", "%s", message)
            tell_once("content:openinference", message)
        self.record_content = record_content and _OI is not None
        self.content_limit = content_limit
        self._tracer = tracer
        self._trace = trace
        self._context = otel_context
        self._current: ContextVar[_Open | None] = ContextVar(f"tta_tracing_{id(self)}", default=None)
        """This hook's innermost open span, and the context that holds it (its children's parent)."""
        self._pending: ContextVar[tuple[RunInfo, Context] | None] = ContextVar(f"tta_tracing_run_{id(self)}", default=None)
        self._ok = Status(StatusCode.OK)
        self._nodes: dict[int, tuple[NodeInfo, dict[str, object]]] = {}
        self._run_attrs: tuple[tuple[object, ...], dict[str, str]] = ((), {})
        self.provider = provider
        """The TracerProvider whose spans `flush` and `shutdown` export (`configure_tracing`'s);
        None for a hook built on a tracer of your own (flush then asks the global provider)."""
        _HOOKS.add(self)

    # -- exporting ----------------------------------------------------------------------------

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Export every finished span now, waiting at most `timeout_s`: a short script calls it
        (or `shutdown`) before it exits, so a batching exporter's last spans are not lost.
        True when the flush finished in time (or nothing batches); an export that failed on the
        way (a collector that is down) has its own warning."""
        provider = self.provider if self.provider is not None else self._trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        return True if force_flush is None else bool(force_flush(max(1, int(timeout_s * 1000))))

    def shutdown(self) -> None:
        """Flush, then shut the provider down (its exporters close; spans started later are
        dropped) and stop tracing runs: the hook is uninstalled if `configure_tracing` installed
        it. A hook on a tracer of your own leaves your provider alone (shut it down yourself)."""
        global _installed
        if _installed is self:
            uninstall_hook(self)
            _installed = None
        if self.provider is not None:
            self.provider.shutdown()  # flushes first

    # -- runs and nodes -----------------------------------------------------------------------
    # The root node's span is the root of the run's trace (no extra span per run): it carries
    # the run's attributes and continues a remote trace when the context has a `traceparent`, or
    # the trace and span ids of the original package's WorkflowContext.

    def on_run_start(self, run: RunInfo) -> None:
        self._pending.set((run, self._context.get_current()))  # before any hook made its span current

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        self._pending.set(None)

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        pending = self._pending.get()
        if node.detail and pending is None and not self._every_op and not any(k in node.attributes for k in _SHOWN_KINDS):
            return None  # no span of its own: its events go on the nearest span around it
        attributes = self._attributes(node, ctx)
        mine = self._current.get()
        parent: Context | None = None if mine is None else mine[1]
        root = pending is not None
        durable = links = None
        if pending is not None:  # the first node of the run: its root
            self._pending.set(None)
            run, ambient = pending
            attributes["workflow.plan"] = run.plan_name
            attributes["workflow.fingerprint"] = run.fingerprint
            durable = for_root(self, run)  # a durable run's attempt: its run id, and a link to its first attempt
            if durable is not None:
                attributes.update(durable.attributes())
                links = durable.links()
            traceparent = ctx.metadata.get("traceparent") if ctx._metadata else None
            remote = None if ctx._extra is None or isinstance(traceparent, str) else extract_trace_context(ctx)
            if isinstance(traceparent, str):
                parent = extract_traceparent({"traceparent": traceparent})
            elif remote is not None:  # the ids the original's WorkflowContext carries (inject_trace_context)
                parent = self._trace.set_span_in_context(self._trace.NonRecordingSpan(remote))
            elif self._trace.get_current_span(ambient) is not _innermost.get():  # the user's own span
                parent = ambient
        span = self._tracer.start_span(node.name, context=parent, attributes=attributes, links=links)  # type: ignore[arg-type]
        if durable is not None and durable.root is None:  # the first hook's root is the one the journal records
            durable.root = span
        current = self._trace.set_span_in_context(span)
        token = self._context.attach(current)
        content = self.record_content and (root or node.kind in _LEAVES or SPAN_KIND in node.attributes)
        state = _SpanState(span, token, content)
        if self.record_content:
            state.root = state if root else (mine[2] if mine is not None else None)
        state.own_token, state.inner_token = self._current.set((span, current, state.root)), _innermost.set(span)
        return state

    def _attributes(self, node: NodeInfo, ctx: RunContext) -> dict[str, object]:
        """A new span's attributes: the node's, computed once per node (kept for the last
        `_NODES_KEPT` nodes), and the run's, computed again when the context or its ids change."""
        known = self._nodes.get(id(node))
        if known is None or known[0] is not node:  # the id of a node since freed: computed again
            if len(self._nodes) >= _NODES_KEPT:
                self._nodes.clear()
            known = self._nodes[id(node)] = (node, _node_attributes(node))
        run = self._run_attrs
        key = (ctx, ctx.correlation_id, ctx.workflow_id, ctx.session_id)
        if run[0] != key:
            run = self._run_attrs = (key, _run_attributes(ctx))
        return {**known[1], **run[1]}

    def wants_input(self, node: NodeInfo) -> bool:
        """Every node's input when content is recorded; else only model calls' (their settings
        and tools are configuration, always on the span)."""
        return self.record_content or (_OI is not None and _MODEL_CALL in node.attributes)

    def on_node_input(self, node: NodeInfo, ctx: RunContext, state: object, value: object) -> None:
        if not isinstance(state, _SpanState):
            return
        if state.content:
            record_content(state.span, "input", value, self.content_limit, _OI[0], _OI[2])  # type: ignore[index]
        if _MODEL_CALL in node.attributes:
            self._record_model_call(state.span, value, "input")

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        if state is None:  # an op without a span of its own (see `detail`)
            return
        span_state = cast(_SpanState, state)
        try:
            streamed = result is None and bool(span_state.text)
            total = span_state.text_size if streamed else None
            run_root = span_state.root
            if streamed and run_root is not None and run_root is not span_state:
                run_root.text, run_root.text_size = span_state.text, span_state.text_size  # a streamed run's output: its last stream's
            output = "".join(span_state.text) if streamed else result
            if span_state.content and output is not None:
                record_content(span_state.span, "output", output, self.content_limit, _OI[0], _OI[2], total)  # type: ignore[index]
            if _MODEL_CALL in node.attributes and _OI is not None:
                self._record_model_call(span_state.span, output, "output", total)
        finally:
            self._finish(span_state, None)

    def _record_model_call(self, span: Span, value: object, direction: Literal["input", "output"], total: int | None = None) -> None:
        """A model call's request or reply as OpenInference's messages, settings and tools (see
        `_model_spans`), for the types a view is registered for (a str is the user's prompt, or
        the reply's text), within the attributes the span has room for. Never raises: a view
        that fails costs its attributes, once logged, and the span is unharmed."""
        try:
            if isinstance(value, str):
                view: ModelInput | ModelOutput | None = (
                    ModelInput((Message("user", value),), {}) if direction == "input" else ModelOutput((Message("assistant", value),))
                )
            else:
                view = model_view(value)
            if view is None:
                return
            limit = self.content_limit if self.record_content else None
            if isinstance(view, ModelInput):
                attributes = input_attributes(view, limit, _room(span) - _KEPT_FOR_THE_REPLY)
            else:
                attributes = output_attributes(view, limit, total, _room(span))
            span.set_attributes(attributes)
        except Exception as error:  # noqa: BLE001 - recording must never cost the run or the span
            warn_once(f"model-view:{type(value).__qualname__}", "could not record the model call's %s on its span: %r", type(value).__name__, error)

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        if state is not None:
            self._finish(cast(_SpanState, state), error)

    def on_chunk(self, node: NodeInfo, ctx: RunContext, state: object, index: int, chunk: object) -> None:
        if state is None:  # a cache replaying a stored stream: nothing to time
            return
        span_state = cast(_SpanState, state)
        if index == 0:
            span_state.span.set_attribute("stream.time_to_first_chunk_s", time.perf_counter() - span_state.started)
        span_state.chunks = index + 1
        if span_state.content and isinstance(chunk, str):
            if span_state.text_size <= self.content_limit:  # keep what will be shown, count the rest
                span_state.text.append(chunk)
            span_state.text_size += len(chunk)

    def _finish(self, state: _SpanState, error: BaseException | None) -> None:
        span, token = state.span, state.token
        if state.chunks:
            span.set_attribute("stream.chunks", state.chunks)
        try:
            if error is None:
                span.set_status(self._ok)  # trace viewers (Phoenix) show a run that worked as OK, not "unset"
            elif isinstance(error, Exception):
                _record_error(span, error)
            elif find_suspension(error) is not None:  # an interrupt suspended the run: not a failure
                span.set_attribute("workflow.suspended", True)
            else:
                span.set_attribute("workflow.cancelled", True)
        finally:
            self._current.reset(state.own_token)
            _innermost.reset(state.inner_token)
            self._context.detach(token)  # type: ignore[arg-type]
            span.end()

    # -- events -----------------------------------------------------------------------------

    def _event(self, node: NodeInfo, name: str, attributes: dict[str, str | int | float | bool]) -> None:
        """`name` on this hook's innermost span (another hook's may be the current one), saying
        which node it is about: a guard without a span of its own records on the span around it."""
        mine = self._current.get()
        if mine is not None:
            mine[0].add_event(name, {**attributes, "primitive.name": node.name, "primitive.type": node.primitive_type})

    def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
        self._event(node, "retry", {"retry.attempt": attempt, "retry.delay_s": delay, "exception.type": type(error).__name__})

    def on_fallback(self, node: NodeInfo, ctx: RunContext, failed: str, error: BaseException) -> None:
        self._event(node, "fallback", {"fallback.failed_route": failed, "exception.type": type(error).__name__})

    def on_timeout(self, node: NodeInfo, ctx: RunContext, seconds: float) -> None:
        self._event(node, "timeout", {"timeout.seconds": seconds})

    def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
        self._event(node, "circuit_state", {"circuit.from": old, "circuit.to": new})

    def on_cache_hit(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self._event(node, "cache_hit", {"cache.key": key[:128]})

    def on_cache_miss(self, node: NodeInfo, ctx: RunContext, key: str) -> None:
        self._event(node, "cache_miss", {"cache.key": key[:128]})

    def on_replay(self, node: NodeInfo, ctx: RunContext) -> None:
        mine = self._current.get()  # the node's own span: a replayed op is a leaf, which has one
        if mine is not None:
            mine[0].set_attribute("workflow.replayed", True)

    def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
        attributes: dict[str, str | int | float | bool] = {"saga.step": step, "saga.compensated": error is None}
        if error is not None:
            attributes["exception.type"] = type(error).__name__
        self._event(node, "compensation", attributes)


def _check_settings(where: str, content_limit: object, detail: object) -> None:
    """ConfigError naming `where` for a content limit or a detail that cannot be, before anything
    is set up (configure_tracing replaces the global provider)."""
    from ..errors import ConfigError

    if isinstance(content_limit, bool) or not isinstance(content_limit, int) or content_limit < 1:
        raise ConfigError(where, "content_limit", "a positive number of characters", content_limit)
    if detail not in _DETAILS:
        raise ConfigError(where, "detail", "'calls' or 'all'", detail)


_KEPT_FOR_THE_REPLY = 32
"""Attributes a model call's span keeps free when its request is recorded: its usage, finish
reason, output value and reply are written later."""


def _room(span: Span) -> int:
    """How many more attributes `span` takes before it drops its oldest (its kind, its ids)."""
    limits = getattr(span, "_limits", None)  # the SDK's spans; other spans: OpenTelemetry's default
    most = getattr(limits, "max_span_attributes", 128)
    if not isinstance(most, int):  # None: no limit
        return 1_000_000
    return most - len(getattr(span, "attributes", None) or ())


def _record_error(span: Span, error: BaseException) -> None:
    """Mark `span` failed by `error`: OpenTelemetry's `exception` event (`exception.type`,
    `exception.message` with the error's notes, `exception.stacktrace`) and an ERROR status
    `Type: message`, their text scrubbed as log lines are. Not `span.record_exception`, which
    exports the message, notes and traceback verbatim (and raises if `str(error)` does). Only a
    failure pays for this; a span nobody records costs nothing."""
    if not span.is_recording():
        return
    from opentelemetry.trace import Status, StatusCode

    kind = type(error)
    try:
        message = str(error)
    except Exception:  # a broken __str__ must not replace the error being recorded
        message = f"<unprintable {kind.__name__}>"
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):  # where the error happened: our executor labels the failing node
        message = "\n".join([message, *(note for note in notes if isinstance(note, str))])
    try:
        stacktrace = "".join(traceback.format_exception(error))  # the notes and the chained causes too
    except Exception:
        stacktrace = ""
    message = scrub(message)
    name = kind.__qualname__ if kind.__module__ in (None, "builtins") else f"{kind.__module__}.{kind.__qualname__}"
    span.add_event("exception", {"exception.type": name, "exception.message": message, "exception.stacktrace": scrub(stacktrace)})
    span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {message}"))


def _service_name_in_environment() -> bool:
    """Whether OpenTelemetry's environment names the service (`OTEL_SERVICE_NAME`, or
    `service.name` in `OTEL_RESOURCE_ATTRIBUTES`), which `Resource.create` then reads."""
    if os.environ.get("OTEL_SERVICE_NAME"):
        return True
    pairs = os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")
    return any(pair.partition("=")[0].strip() == "service.name" for pair in pairs)


def configure_tracing(
    service_name: str | None = None,
    *,
    otlp_endpoint: str | None = None,
    protocol: Literal["grpc", "http"] = "http",
    exporter: SpanExporter | None = None,
    set_global: bool = True,
    install: bool = True,
    max_queue_size: int = 2048,
    export_timeout_s: float = 5.0,
    project: str | None = None,
    resource_attributes: Mapping[str, str | int | float | bool] | None = None,
    record_content: bool = False,
    content_limit: int = CONTENT_LIMIT,
    detail: TraceDetail = "calls",
) -> TracingHook | None:
    """Set up a TracerProvider and install the tracing hook for every plan.

    Spans go to `exporter` (e.g. an InMemorySpanExporter in tests; exported synchronously) or
    to an OTLP collector at `otlp_endpoint` over `protocol` (batched, queue bounded at
    `max_queue_size`). A collector that is down or goes away costs one warning per endpoint
    (the exporter's own retry messages are folded into it) and never an exception; its spans
    are dropped until it is back. `project` names the Phoenix/OpenInference project the spans
    belong to (resource attribute `openinference.project.name`); `resource_attributes` are
    added to the resource. The service's name is `service_name` if given, else
    `resource_attributes["service.name"]`, else OpenTelemetry's `OTEL_SERVICE_NAME` or
    `OTEL_RESOURCE_ATTRIBUTES`, else "tta-dev-primitives". `record_content` puts each node's
    input and output on its span, and `detail` says which ops get spans (see `TracingHook`).
    Returns the hook, or None when the `otel` extra is
    not installed (one warning; workflows run unchanged).
    """
    _check_settings("configure_tracing", content_limit, detail)
    if optional("opentelemetry.sdk.trace", "otel") is None:
        return None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    resource: dict[str, str | int | float | bool] = dict(resource_attributes or {})
    if service_name is not None:
        resource["service.name"] = service_name
    elif "service.name" not in resource and not _service_name_in_environment():
        resource["service.name"] = "tta-dev-primitives"
    if project is not None:
        resource[PROJECT_NAME] = project
    provider = TracerProvider(resource=Resource.create(resource))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    if otlp_endpoint is not None:
        remote = _otlp_exporter(otlp_endpoint, protocol, export_timeout_s)
        if remote is not None:
            processor = guarded_batch_processor(remote, otlp_endpoint, max_queue_size=max_queue_size, export_timeout_s=export_timeout_s)
            provider.add_span_processor(processor)
    if set_global:
        trace.set_tracer_provider(provider)
    tracer = provider.get_tracer("tta_dev_primitives")
    hook = TracingHook(tracer, record_content=record_content, content_limit=content_limit, provider=provider, detail=detail)
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
    """Set OpenTelemetry GenAI attributes on the current span (call it inside an LLM node).

    On a span that is not a declared model call (a plain node that calls a model, perhaps more
    than once), each call's tokens are added to the span's totals and a CHAIN span becomes an
    LLM one, so backends that count tokens over LLM spans (Phoenix) count them. On a declared
    model call (`genai()`, `LLMPrimitive`, an agent's model step) the values are set, so the
    client's and the primitive's reports of one call are not counted twice."""
    trace = _otel_trace()
    if trace is None:
        return
    current = trace.get_current_span()
    hooks = list(_HOOKS) if _HOOKS else ()  # no hook installed: no iteration of the weak set (agents call this per turn)
    spans = [mine[0] for hook in hooks if (mine := hook._current.get()) is not None and mine[0] is not current]
    for span in (current, *spans):  # each tracing hook's span of this node (two backends: both)
        if span.is_recording():  # no tracing: skip the attribute calls (agents call this per turn)
            _usage(span, model, provider, input_tokens, output_tokens, operation, response_model)


def _usage(
    span: Span,
    model: str | None,
    provider: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    operation: str | None,
    response_model: str | None,
) -> None:
    existing = getattr(span, "attributes", None)  # the SDK's spans can be read back
    if isinstance(existing, Mapping) and "gen_ai.operation.name" not in existing:
        input_tokens = _added(existing, "gen_ai.usage.input_tokens", input_tokens)
        output_tokens = _added(existing, "gen_ai.usage.output_tokens", output_tokens)
        if _OI is not None and existing.get(SPAN_KIND) == _OI[1].CHAIN.value:
            span.set_attribute(SPAN_KIND, _OI[1].LLM.value)
    pairs: list[tuple[str, str | int | None]] = [
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


def _added(existing: Mapping[str, object], key: str, tokens: int | None) -> int | None:
    before = existing.get(key)
    if tokens is None or not isinstance(before, int):
        return tokens
    return before + tokens


N = TypeVar("N")


def genai(node: N, *, provider: str, model: str, operation: str = "chat") -> N:
    """Mark a node as an LLM call: its spans carry `gen_ai.operation.name`,
    `gen_ai.provider.name` and `gen_ai.request.model` (token usage comes from
    `record_llm_usage` inside the node)."""
    from ..dsl._core import Node

    if not isinstance(node, Node):
        from ..errors import BuildError

        raise BuildError(f"genai(): expected a Node, got {type(node).__name__}")
    return cast(N, node.with_attributes(**{"gen_ai.operation.name": operation, "gen_ai.provider.name": provider, "gen_ai.request.model": model}))


def trace_operation(span_name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function (async or sync) so each call is a span, a child of the current one.

    Exceptions are recorded on the span (masked as in logs) and re-raised. Without the `otel`
    extra it is a no-op.
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
            return _run_attributes(ctx) if ctx is not None else {}

        if inspect.iscoroutinefunction(fn):
            async_fn = cast("Callable[P, Awaitable[object]]", fn)

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> object:
                active = tracer()
                if active is None:
                    return await async_fn(*args, **kwargs)
                with active.start_as_current_span(name, attributes=attributes(), record_exception=False, set_status_on_exception=False) as span:
                    try:
                        return await async_fn(*args, **kwargs)
                    except Exception as error:  # recorded scrubbed, not by the SDK's verbatim record_exception
                        _record_error(span, error)
                        raise

            return cast("Callable[P, R]", run_async)

        @functools.wraps(fn)
        def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
            active = tracer()
            if active is None:
                return fn(*args, **kwargs)
            with active.start_as_current_span(name, attributes=attributes(), record_exception=False, set_status_on_exception=False) as span:
                try:
                    return fn(*args, **kwargs)
                except Exception as error:
                    _record_error(span, error)
                    raise

        return run_sync

    return decorate
