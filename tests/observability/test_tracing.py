"""Tracing hook: span trees, attributes, events, GenAI, propagation, degradation, and what spans
must not carry (custom cache keys)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tta_dev_primitives import (
    Cache,
    CircuitBreaker,
    CircuitOpenError,
    ConfigError,
    FakeClock,
    RunContext,
    Sequential,
    WorkflowContext,
    WorkflowPrimitive,
    compensated,
    compile,
    node,
    parallel,
    saga,
)
from tta_dev_primitives.observability import (
    TracingHook,
    configure_tracing,
    genai,
    inject_traceparent,
    record_llm_usage,
)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[2]


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans}


def parent_name(span: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> str | None:
    if span.parent is None:
        return None
    return next(s.name for s in spans if s.context.span_id == span.parent.span_id)


def inc(x: int) -> int:
    return x + 1


async def test_one_trace_per_run_with_spans_nested_as_the_plan(traced_every_op: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced_every_op
    a, b = node(inc, name="a"), node(inc, name="b")
    plan = compile(a >> parallel(b, node(inc, name="c")) >> node(lambda t: sum(t), name="total"), name="flow").with_hooks(hook)
    ctx = RunContext(workflow_id="wf-1", correlation_id="corr-9")
    assert await plan.run(1, context=ctx) == 6
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1
    names = by_name(spans)
    root = plan.root.name
    assert parent_name(names[root], spans) is None  # the root node's span is the trace root
    assert (names[root].attributes or {})["workflow.plan"] == "flow"
    assert parent_name(names["a"], spans) == root
    assert parent_name(names["b"], spans) == parent_name(names["c"], spans) == "(b | c)"  # siblings
    attrs = names["b"].attributes or {}
    assert attrs["workflow.correlation_id"] == "corr-9" and attrs["workflow.id"] == "wf-1"
    assert attrs["primitive.type"] == "function" and attrs["primitive.name"] == "b"
    assert {span.status.status_code for span in spans} == {StatusCode.OK}  # trace viewers show OK, not "unset"


async def test_by_default_the_root_and_the_nodes_that_run_code_are_spans(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    """Structure (the sequence's inner parallel) and guards (retry, timeout) get no span of
    their own: their children hang from the nearest span, and their events go on it."""
    hook, exporter = traced
    assert hook.detail == "calls"
    guarded = node(inc, name="c").retry(clock=FakeClock()).timeout(5)
    plan = compile(node(inc, name="a") >> parallel(node(inc, name="b"), guarded) >> node(lambda t: sum(t), name="total"), name="flow")
    assert await plan.with_hooks(hook).run(1) == 6
    spans = exporter.get_finished_spans()
    root = plan.root.name
    assert sorted((s.name, parent_name(s, spans)) for s in spans) == sorted(
        [(root, None), ("a", root), ("b", root), ("c", root), ("total", root)]
    )
    assert (by_name(spans)[root].attributes or {})["workflow.plan"] == "flow"  # the root is a span even when it is structure


async def test_a_marked_node_is_a_span_at_any_detail(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    from tta_dev_primitives.observability._semconv import SPAN_KIND

    hook, exporter = traced
    stage = (node(inc, name="a") >> node(inc, name="b")).named("stage").with_attributes(**{SPAN_KIND: "CHAIN"})
    assert await compile(node(inc, name="first") >> stage).with_hooks(hook).run(1) == 4
    spans = exporter.get_finished_spans()
    assert parent_name(by_name(spans)["a"], spans) == "stage"
    exporter.clear()
    content = configure_tracing("tests", exporter=exporter, set_global=False, install=False, record_content=True)
    assert content is not None
    await compile(node(inc, name="first") >> stage).with_hooks(content).run(1)
    marked = by_name(exporter.get_finished_spans())["stage"].attributes or {}
    assert (marked["input.value"], marked["output.value"]) == ("2", "4")  # a marked stage shows what went in and out


def test_detail_must_be_calls_or_all() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    with pytest.raises(ConfigError, match="detail"):
        TracingHook(TracerProvider().get_tracer("t"), detail="every")  # type: ignore[arg-type]
    before = trace.get_tracer_provider()
    with pytest.raises(ConfigError, match=r"configure_tracing: invalid content_limit"):
        configure_tracing("t", content_limit=0)
    with pytest.raises(ConfigError, match=r"configure_tracing: invalid detail"):
        configure_tracing("t", detail="ALL")  # type: ignore[arg-type]
    assert trace.get_tracer_provider() is before  # nothing was set up


async def test_two_runs_make_two_traces(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced
    plan = compile(node(inc) >> node(inc)).with_hooks(hook)
    await plan.run(1)
    await plan.run(1)
    assert len({s.context.trace_id for s in exporter.get_finished_spans()}) == 2


async def test_errors_set_status_and_record_the_exception(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced

    async def boom(x: int) -> int:
        raise ValueError("bad")

    with pytest.raises(ValueError):
        await compile(node(inc) >> node(boom)).with_hooks(hook).run(1)
    span = by_name(exporter.get_finished_spans())["boom"]
    assert not span.status.is_ok and "ValueError: bad" in (span.status.description or "")
    assert [e.name for e in span.events] == ["exception"]


@pytest.mark.parametrize("detail", ["all", "calls"])
async def test_resilience_and_cache_events(detail: str) -> None:
    """Each guard's events go on its own span (every op), or on the nearest span around it
    (by default: here the run's root)."""
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False, detail=detail)  # type: ignore[arg-type]
    assert hook is not None
    calls = 0

    async def flaky(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise ConnectionError("reset")
        return x

    async def slow(x: int) -> int:
        await anyio.Event().wait()
        return x

    plan = compile(
        node(flaky, name="flaky").retry(clock=FakeClock()).cached(Cache()) >> node(slow, name="slow").timeout(0.01, fallback=node(inc, name="backup"))
    ).with_hooks(hook)
    assert await plan.run(1) == 2
    assert await plan.run(1) == 2  # cache hit the second time
    events = [(s.name, e.name) for s in exporter.get_finished_spans() for e in s.events]
    if detail == "calls":
        root = plan.root.name
        events = [(s.name if s.name != root else "root", e.name) for s in exporter.get_finished_spans() for e in s.events if e.name != "exception"]
        first, second = ["cache_miss", "retry", "timeout", "fallback"], ["cache_hit", "timeout", "fallback"]  # two runs
        assert sorted(events) == sorted(("root", event) for event in first + second)
        origins = {(e.name, (e.attributes or {})["primitive.name"]) for s in exporter.get_finished_spans() for e in s.events if e.name != "exception"}
        assert ("retry", "retry(flaky)") in origins and ("timeout", "timeout(slow)") in origins  # which guard, on the span around it
        assert ("cache_hit", "cache(retry(flaky))") in origins
        return
    assert ("retry(flaky)", "retry") in events
    assert events.count(("cache(retry(flaky))", "cache_miss")) == 1 and ("cache(retry(flaky))", "cache_hit") in events
    assert ("timeout(slow)", "timeout") in events
    assert any(name.endswith("?? backup") and event == "fallback" for name, event in events)


async def test_breaker_and_saga_events(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced

    async def down(x: int) -> int:
        raise ConnectionError("down")

    breaker = CircuitBreaker("db", minimum_calls=1, clock=FakeClock())
    plan = compile(node(down).guard(breaker)).with_hooks(hook)
    with pytest.raises(ConnectionError):
        await plan.run(1)
    with pytest.raises(CircuitOpenError):
        await plan.run(1)

    async def undo(x: int) -> None:
        return None

    with pytest.raises(ConnectionError):
        await compile(saga(compensated(node(inc, name="book"), undo) >> node(down))).with_hooks(hook).run(1)
    origin = ("primitive.name", "primitive.type")  # which guard said it (tested with the events of every guard)
    events = {(e.name, tuple(sorted((k, v) for k, v in (e.attributes or {}).items() if k not in origin))) for s in exporter.get_finished_spans() for e in s.events}
    assert ("circuit_state", (("circuit.from", "closed"), ("circuit.to", "open"))) in events
    assert ("compensation", (("saga.compensated", True), ("saga.step", "book"))) in events


async def test_genai_attributes_and_thread_propagation(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced

    def chat(prompt: str) -> str:  # runs in a worker thread
        record_llm_usage(input_tokens=12, output_tokens=34)
        return prompt.upper()

    llm = genai(node(chat, thread=True, name="chat"), provider="openai", model="gpt-4o")
    assert await compile(llm).with_hooks(hook).run("hi") == "HI"
    attrs = by_name(exporter.get_finished_spans())["chat"].attributes or {}
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["gen_ai.usage.input_tokens"] == 12 and attrs["gen_ai.usage.output_tokens"] == 34


async def test_user_primitives_and_seed_workflows_are_instrumented(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced

    class Enrich(WorkflowPrimitive[dict[str, int], dict[str, int]]):
        async def execute(self, input_data: dict[str, int], context: WorkflowContext) -> dict[str, int]:
            return {**input_data, "enriched": 1}

    workflow = Sequential([Enrich(), lambda d: {**d, "done": 1}]) >> Enrich()
    await compile(workflow).with_hooks(hook).run({"a": 1})
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1  # one trace for the whole composed run
    assert [s.name for s in spans].count("Enrich") == 2


async def test_traceparent_continues_a_trace_from_another_process(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    hook, exporter = traced
    assert hook.provider is not None
    tracer = hook.provider.get_tracer("caller")
    with tracer.start_as_current_span("caller") as caller:
        carrier = inject_traceparent()
    code = textwrap.dedent(
        f"""
        import json
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from tta_dev_primitives import RunContext, compile, node
        from tta_dev_primitives.observability import configure_tracing
        exporter = InMemorySpanExporter()
        hook = configure_tracing("child", exporter=exporter, set_global=False, install=False)
        plan = compile(node(lambda x: x, name="remote")).with_hooks(hook)
        plan.run_sync(1, context=RunContext(metadata={{"traceparent": {carrier['traceparent']!r}}}))
        root = next(s for s in exporter.get_finished_spans() if s.name == "remote")
        print(json.dumps([format(root.context.trace_id, "032x"), format(root.parent.span_id, "016x")]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120)
    trace_id, parent_id = json.loads(proc.stdout)
    assert trace_id == format(caller.get_span_context().trace_id, "032x")
    assert parent_id == format(caller.get_span_context().span_id, "016x")


def test_collector_down_never_breaks_a_run(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.errors import TelemetryWarning
    from tta_dev_primitives.observability import _support

    monkeypatch.setattr(_support, "_told", set())  # told once per process: as if this were the first test
    hook = configure_tracing("tests", otlp_endpoint="http://127.0.0.1:1", set_global=False, install=False, export_timeout_s=0.2, max_queue_size=16)
    assert hook is not None
    plan = compile(node(inc) >> node(inc)).with_hooks(hook)
    with caplog.at_level(logging.WARNING), pytest.warns(TelemetryWarning, match="span export to http://127.0.0.1:1 is failing"):
        for _ in range(50):  # far more spans than the bounded queue holds
            assert plan.run_sync(1) == 3
        hook.flush(2.0)  # bounded: the collector never answers, and the probe gives up
        hook.shutdown()
    # the exporter's own retry and give-up messages are folded into one warning, and the
    # processor's "Queue full" (once per dropped span) into one more
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert {r.name for r in warnings} == {"tta_dev_primitives.observability"}, [r.getMessage() for r in warnings]
    messages = sorted(r.getMessage() for r in warnings)
    assert len(messages) == 2 and "span export to http://127.0.0.1:1 is failing" in messages[0] and "queue for http://127.0.0.1:1 is full" in messages[1]


def test_without_the_extras_workflows_run_and_each_missing_extra_is_told_once() -> None:
    """Logged (for applications that configured logging) and given as a TelemetryWarning (for
    those that did not: the library's logger has only a NullHandler), once per extra."""
    code = textwrap.dedent(
        """
        import logging, sys, warnings
        sys.modules["opentelemetry"] = None
        sys.modules["prometheus_client"] = None
        logging.basicConfig(level=logging.WARNING, format="LOG %(name)s: %(message)s")
        from tta_dev_primitives import compile, node, configure_tracing, configure_metrics, trace_operation
        from tta_dev_primitives.errors import TelemetryWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert configure_tracing("x") is None and configure_tracing("x") is None
            assert configure_metrics() is None

            @trace_operation(span_name="op")
            def op(x):
                return x + 1

            print(compile(node(lambda x: x * 2)).run_sync(21), op(1))
        for w in caught:
            print("WARNING", w.category.__name__, w.message, file=sys.stderr)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42 2"
    logged = sorted(line for line in proc.stderr.splitlines() if line.startswith("LOG "))
    warned = sorted(line for line in proc.stderr.splitlines() if line.startswith("WARNING "))
    assert len(logged) == 2 and len(warned) == 2, proc.stderr  # one for OpenTelemetry, one for prometheus_client
    assert "pip install 'tta-dev-primitives[otel]'" in warned[0] and "pip install 'tta-dev-primitives[prometheus]'" in warned[1]
    assert all(line.startswith("WARNING TelemetryWarning telemetry needs ") for line in warned)


def _edges(spans: tuple[ReadableSpan, ...]) -> set[tuple[str, str | None]]:
    return {(s.name, parent_name(s, spans)) for s in spans}


async def test_span_tree_shape_for_each_primitive(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    from tta_dev_primitives import Router, branch, for_each

    hook, exporter = traced
    a, b = node(inc, name="a"), node(inc, name="b")

    async def fail(x: int) -> int:
        raise ValueError("primary down")

    shapes = {
        "branch": (branch(node(lambda x: x > 0, name="positive"), a, b, name="br"), 1, {("positive", "br"), ("a", "br")}),
        "map": (for_each(a, name="each"), [1, 2], {("a", "each")}),
        "router": (Router({"x": a, "y": b}, router_fn=lambda r: "y", name="rt"), 1, {("b", "rt")}),
        "fallback": (node(fail, name="p").fallback(b), 1, {("p", "p ?? b"), ("b", "p ?? b")}),
        "sequential": (Sequential([a, b], name="seq"), 1, {("a", "seq"), ("b", "seq")}),
        "retry": (a.retry(), 1, {("a", "retry(a)")}),
    }
    for label, (workflow, value, expected) in shapes.items():
        exporter.clear()
        await compile(workflow, disable="flatten").with_hooks(hook).run(value)  # type: ignore[arg-type]
        spans = exporter.get_finished_spans()
        assert len({s.context.trace_id for s in spans}) == 1, label
        assert expected <= _edges(spans), (label, _edges(spans))


def test_grpc_collector_down_never_breaks_a_run(caplog: pytest.LogCaptureFixture) -> None:
    hook = configure_tracing("tests", otlp_endpoint="http://127.0.0.1:2", protocol="grpc", set_global=False, install=False, export_timeout_s=0.2)
    assert hook is not None
    with caplog.at_level(logging.WARNING):
        assert compile(node(inc)).with_hooks(hook).run_sync(1) == 2
        hook.flush(3.0)
        hook.shutdown()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["tta_dev_primitives.observability"], [r.getMessage() for r in warnings]
    assert "span export to http://127.0.0.1:2 is failing" in warnings[0].getMessage()


def test_configuring_tracing_again_replaces_the_installed_hook() -> None:
    from tta_dev_primitives import installed_hooks, uninstall_hook

    first = configure_tracing("a", exporter=InMemorySpanExporter(), set_global=False)
    second = configure_tracing("b", exporter=InMemorySpanExporter(), set_global=False)
    try:
        hooks = installed_hooks()
        assert second in hooks and first not in hooks
    finally:
        assert second is not None
        uninstall_hook(second)


async def test_spans_carry_openinference_kinds_and_usage(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    """Phoenix-style backends recognise model calls, tools and agents by OpenInference's span
    kind; token usage and the model's name also go under OpenInference's names."""
    from openinference.semconv.trace import SpanAttributes

    from tta_dev_primitives import FakeChatModel, ToolCall, agent, tool
    from tta_dev_primitives.observability._semconv import SPAN_KIND

    assert SPAN_KIND == SpanAttributes.OPENINFERENCE_SPAN_KIND
    hook, exporter = traced

    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    model = FakeChatModel("fake-small", script=[[ToolCall("1", "weather", '{"input": "Paris"}')], "It is sunny."])
    bot = agent(model, [tool(weather)], max_turns=3).named("weather bot")
    assert await compile(bot).with_hooks(hook).run("Weather in Paris?", context=RunContext(session_id="s-1")) == "It is sunny."
    spans = exporter.get_finished_spans()
    kinds = {s.name: (s.attributes or {}).get(SPAN_KIND) for s in spans}
    assert kinds["weather bot"] == "AGENT" and kinds["weather"] == "TOOL"
    llm_spans = [s for s in spans if (s.attributes or {}).get(SPAN_KIND) == "LLM"]
    assert len(llm_spans) == 2  # one per turn
    usage = llm_spans[0].attributes or {}
    assert usage[SpanAttributes.LLM_MODEL_NAME] == "fake-small"
    assert usage[SpanAttributes.LLM_TOKEN_COUNT_TOTAL] == usage[SpanAttributes.LLM_TOKEN_COUNT_PROMPT] + usage[SpanAttributes.LLM_TOKEN_COUNT_COMPLETION]
    assert sorted(kinds.values()) == ["AGENT", "LLM", "TOOL"] and len(spans) == 4  # no bookkeeping, loop or guard spans
    assert all((s.attributes or {}).get(SpanAttributes.SESSION_ID) == "s-1" for s in spans)
    assert not any(SpanAttributes.INPUT_VALUE in (s.attributes or {}) for s in spans)  # content is not recorded


async def test_content_is_recorded_only_when_asked_with_secrets_masked_and_cut() -> None:
    """record_content puts each node's input and output on its span under OpenInference's names:
    strings as text, other values as JSON, secret-shaped values masked, long values cut."""
    from openinference.semconv.trace import SpanAttributes

    from tta_dev_primitives import streaming

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False, record_content=True, content_limit=60)
    assert hook is not None and isinstance(hook, TracingHook)

    def ask(question: str) -> dict[str, object]:
        return {"question": question, "api_key": "hunter2", "n": 2}

    def answer(request: dict[str, object]) -> str:
        return f"call with sk-{'a' * 24}"

    @streaming
    async def spell(text: str) -> AsyncIterator[str]:
        for word in text.split()[:2]:
            yield word + " "

    plan = compile(node(ask, name="ask") >> node(answer, name="answer") >> spell, disable="flatten").with_hooks(hook)
    assert await plan.run("why?") == "call with "
    spans = by_name(exporter.get_finished_spans())
    asked = spans["ask"].attributes or {}
    assert asked[SpanAttributes.INPUT_VALUE] == "why?" and asked[SpanAttributes.INPUT_MIME_TYPE] == "text/plain"
    assert json.loads(str(asked[SpanAttributes.OUTPUT_VALUE])) == {"question": "why?", "api_key": "***", "n": 2}
    assert asked[SpanAttributes.OUTPUT_MIME_TYPE] == "application/json"
    answered = spans["answer"].attributes or {}
    assert "hunter2" not in str(answered[SpanAttributes.INPUT_VALUE]) and "aaaa" not in str(answered[SpanAttributes.OUTPUT_VALUE])
    assert str(answered[SpanAttributes.OUTPUT_VALUE]).startswith("call with sk-")
    spelled = spans["spell"].attributes or {}
    assert spelled[SpanAttributes.OUTPUT_VALUE] == "call with "  # a stream's output is its text
    long = await compile(node(lambda s: s * 10, name="long"), disable="flatten").with_hooks(hook).run("0123456789")
    cut = by_name(exporter.get_finished_spans())["long"].attributes or {}
    assert cut[SpanAttributes.OUTPUT_VALUE] == long[:60] + "… [40 more characters]"
    listed = await compile(node(lambda s: [s] * 10, name="listed"), disable="flatten").with_hooks(hook).run("0123456789")
    cut = by_name(exporter.get_finished_spans())["listed"].attributes or {}
    assert len(listed) == 10 and cut[SpanAttributes.OUTPUT_MIME_TYPE] == "text/plain"  # a cut JSON value is no JSON


def test_hooks_that_do_not_ask_for_inputs_are_not_handed_them() -> None:
    """Without content, tracing asks for model calls' inputs only (their settings and tools are
    configuration); with content, for every node's."""
    from tta_dev_primitives.executor._hooks import HookSet, NodeInfo

    plain = configure_tracing("tests", exporter=InMemorySpanExporter(), set_global=False, install=False)
    recording = configure_tracing("tests", exporter=InMemorySpanExporter(), set_global=False, install=False, record_content=True)
    assert plain is not None and recording is not None
    where = node(str).location
    step = NodeInfo(0, "step", "function", "call", where, {"primitive.type": "function"})
    model_call = NodeInfo(1, "gpt", "llm", "call", where, {"gen_ai.operation.name": "chat"})
    assert HookSet([plain]).input_hooks(step) == () and HookSet([plain]).input_hooks(model_call) == ((0, plain),)
    assert HookSet([plain, recording]).input_hooks(step) == ((1, recording),)
    with pytest.raises(Exception, match="content_limit"):
        TracingHook(plain._tracer, record_content=True, content_limit=0)


def _own_tree(spans: tuple[ReadableSpan, ...]) -> None:
    """Every parent of these spans is one of them, and there is one root."""
    ids = {s.context.span_id for s in spans}
    assert all(s.parent is None or s.parent.span_id in ids for s in spans), [(s.name, s.parent) for s in spans]
    assert sum(1 for s in spans if s.parent is None) == 1


async def test_two_tracing_hooks_on_one_plan_each_export_a_whole_tree() -> None:
    """Two providers (two backends) on one plan: each gets a complete tree of its own spans, with
    the same shape and its events; a hook both installed and given to the plan traces once."""
    from tta_dev_primitives import install_hook, uninstall_hook

    exporters = [InMemorySpanExporter(), InMemorySpanExporter()]
    hooks = [configure_tracing(f"backend-{i}", exporter=e, set_global=False, install=False) for i, e in enumerate(exporters)]
    assert hooks[0] is not None and hooks[1] is not None
    calls = {"n": 0}

    async def flaky(x: int) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TimeoutError("first attempt")
        return x

    a = node(inc, name="a")
    workflow = a >> parallel(node(inc, name="p1"), node(inc, name="p2")) >> node(lambda xs: xs[0], name="first") >> node(flaky, name="flaky").retry(clock=FakeClock())
    plan = compile(workflow, disable="flatten").with_hooks(*hooks)
    assert await plan.run(1) == 3
    trees = []
    for exporter in exporters:
        spans = exporter.get_finished_spans()
        _own_tree(spans)
        trees.append(_edges(spans))
        retry_events = [e.name for s in spans for e in s.events if e.name == "retry"]
        assert retry_events == ["retry"]
    assert trees[0] == trees[1] and ("p1", "a ?? p2") not in trees[0]
    assert ("a", next(name for name, parent in trees[0] if parent is None)) in trees[0]  # a is the root's child, not p1's parent

    single = InMemorySpanExporter()
    hook = configure_tracing("once", exporter=single, set_global=False, install=False)
    assert hook is not None
    install_hook(hook)
    try:
        await compile(node(inc, name="solo")).with_hooks(hook).run(1)
    finally:
        uninstall_hook(hook)
    assert [s.name for s in single.get_finished_spans()] == ["solo"]


async def test_a_run_nests_under_the_callers_span() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    exporter = InMemorySpanExporter()
    hook = configure_tracing("nest", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    assert hook.provider is not None
    tracer = hook.provider.get_tracer("app")
    assert isinstance(hook.provider, TracerProvider)
    inner = compile(node(inc, name="inner")).with_hooks(hook)

    async def calls_inner(x: int) -> int:
        return await inner.run(x)

    outer = compile(node(calls_inner, name="outer")).with_hooks(hook)
    with tracer.start_as_current_span("request"):
        assert await outer.run(1) == 2
    spans = exporter.get_finished_spans()
    assert _edges(spans) == {("request", None), ("outer", "request"), ("inner", "outer")}


async def test_recorded_content_is_bounded_placed_and_never_costs_the_span() -> None:
    from openinference.semconv.trace import SpanAttributes

    from tta_dev_primitives import streaming
    from tta_dev_primitives.observability._redaction import redact

    bounded = redact(list(range(1_000_000)), max_chars=100)
    assert isinstance(bounded, list) and len(bounded) < 20 and str(bounded[-1]).endswith("more items>")
    assert len(str(redact("x" * 10_000_000, max_chars=100))) < 1000

    exporter = InMemorySpanExporter()

    class MyTracing(TracingHook):
        pass

    provider = configure_tracing("content", exporter=exporter, set_global=False, install=False)
    assert provider is not None
    hook = MyTracing(provider._tracer, record_content=True, content_limit=50, detail="all")  # a subclass records too

    @streaming
    async def words(n: int) -> AsyncIterator[str]:
        for _ in range(n):
            yield "word "

    huge = node(lambda n: 10 ** 5000, name="huge")  # JSON cannot encode it: recorded as a placeholder
    both = parallel(node(inc, name="left"), node(inc, name="right"))
    plan = compile(node(inc, name="first") >> both >> node(lambda pair: 1, name="one") >> huge >> node(lambda big: 20, name="back") >> words, disable="flatten").with_hooks(hook)
    assert await plan.run(1) == "word " * 20
    spans = by_name(exporter.get_finished_spans())
    _own_tree(exporter.get_finished_spans())
    assert (spans["huge"].attributes or {})[SpanAttributes.OUTPUT_VALUE] == "<unrecordable int>"
    assert (spans["words"].attributes or {})[SpanAttributes.OUTPUT_VALUE] == ("word " * 20)[:50] + "… [50 more characters]"
    assert SpanAttributes.INPUT_VALUE not in (spans["(left | right)"].attributes or {})  # only the root and leaves
    assert (spans["left"].attributes or {})[SpanAttributes.INPUT_VALUE] == "2"
    root = next(s for s in exporter.get_finished_spans() if s.parent is None)
    assert (root.attributes or {})[SpanAttributes.INPUT_VALUE] == "1"


def test_a_collector_that_is_down_is_probed_not_retried_for_every_batch(caplog: pytest.LogCaptureFixture) -> None:
    """While an endpoint is known to be down, queued batches are dropped at once (one probe every
    few seconds), so a flush waits for one export; recovery is logged with what was lost."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from tta_dev_primitives.observability._export import guarded_batch_processor

    class Down(SpanExporter):
        attempts = 0
        up = False

        def export(self, spans: object) -> SpanExportResult:
            Down.attempts += 1
            return SpanExportResult.SUCCESS if Down.up else SpanExportResult.FAILURE

    now = [0.0]
    provider = TracerProvider()
    provider.add_span_processor(guarded_batch_processor(Down(), "fake://down", max_queue_size=4096, export_timeout_s=5, clock=lambda: now[0]))
    tracer = provider.get_tracer("t")
    with caplog.at_level(logging.INFO):
        for _ in range(2000):  # four batches of 512
            tracer.start_span("s").end()
        provider.force_flush()
        assert Down.attempts == 1
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "fake://down is failing" in warnings[0]
        Down.up = True
        now[0] += 5.0  # the next probe is due
        tracer.start_span("after").end()
        provider.force_flush()
        recovered = [r.getMessage() for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1 and "2000 spans were dropped" in recovered[0]
    provider.shutdown()


async def test_a_plain_node_calling_a_model_twice_reports_both_calls_as_an_llm_span(traced: tuple[TracingHook, InMemorySpanExporter]) -> None:
    from openinference.semconv.trace import SpanAttributes

    from tta_dev_primitives import ChatRequest, FakeChatModel, LLMPrimitive
    from tta_dev_primitives.observability._semconv import SPAN_KIND

    hook, exporter = traced
    model = FakeChatModel("fake-small", reply=lambda r: "two words")

    async def ask_twice(question: str) -> str:
        first = await model.complete(ChatRequest.of(question))
        second = await model.complete(ChatRequest.of(first.text))
        return second.text

    await compile(node(ask_twice)).with_hooks(hook).run("one two three")
    attributes = exporter.get_finished_spans()[0].attributes or {}
    assert attributes[SPAN_KIND] == "LLM"
    assert attributes["gen_ai.usage.input_tokens"] == 3 + 2 and attributes["gen_ai.usage.output_tokens"] == 2 + 2
    assert attributes[SpanAttributes.LLM_TOKEN_COUNT_TOTAL] == 9

    exporter.clear()  # a declared model call reported by both the client and the primitive counts once
    await compile(LLMPrimitive(model)).with_hooks(hook).run(ChatRequest.of("one two three"))
    declared = next(s for s in exporter.get_finished_spans() if (s.attributes or {}).get(SPAN_KIND) == "LLM").attributes or {}
    assert declared["gen_ai.usage.input_tokens"] == 3 and declared[SpanAttributes.LLM_TOKEN_COUNT_TOTAL] == 5


def test_a_private_key_cut_by_the_content_limit_is_still_masked() -> None:
    from tta_dev_primitives.observability._content import render_content

    key = "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEpAIBAAKCAQEA7Vq3" * 90 + "\n-----END RSA PRIVATE KEY-----"
    text, _ = render_content("config dump: " + key, 100)
    assert "MIIE" not in text and text.startswith("config dump: ***")
    whole, _ = render_content("config dump: " + key, 10_000)
    assert whole == "config dump: ***"


async def test_usage_reported_inside_a_node_reaches_every_tracing_hooks_span() -> None:
    from tta_dev_primitives.observability._semconv import SPAN_KIND

    exporters = [InMemorySpanExporter(), InMemorySpanExporter()]
    hooks = [configure_tracing(f"backend-{i}", exporter=e, set_global=False, install=False) for i, e in enumerate(exporters)]

    def calls_a_model(x: int) -> int:
        record_llm_usage(model="m", input_tokens=10, output_tokens=5)
        return x

    await compile(node(calls_a_model)).with_hooks(*[h for h in hooks if h is not None]).run(1)
    for exporter in exporters:
        (span,) = exporter.get_finished_spans()
        attributes = span.attributes or {}
        assert attributes["gen_ai.usage.input_tokens"] == 10 and attributes[SPAN_KIND] == "LLM"


async def test_session_id_is_on_every_span_without_openinference_too(
    traced: tuple[TracingHook, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tta_dev_primitives.observability import _tracing as tracing

    hook, exporter = traced
    monkeypatch.setattr(tracing, "_OI", None)  # only the otel extra installed
    await compile(node(inc) >> node(inc)).with_hooks(hook).run(1, context=RunContext(session_id="chat-42"))
    spans = exporter.get_finished_spans()
    assert spans and {(s.attributes or {}).get("session.id") for s in spans} == {"chat-42"}
    assert all("openinference.span.kind" not in (s.attributes or {}) for s in spans)


async def test_configure_tracing_puts_resource_attributes_and_the_project_on_every_span() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing(
        "svc", exporter=exporter, set_global=False, install=False, project="my-agent", resource_attributes={"deployment.environment": "test"}
    )
    assert hook is not None
    await compile(node(inc)).with_hooks(hook).run(1)
    (span,) = exporter.get_finished_spans()
    resource = dict(span.resource.attributes)
    assert resource["service.name"] == "svc" and resource["deployment.environment"] == "test"
    assert resource["openinference.project.name"] == "my-agent"


async def test_a_trace_operation_span_carries_the_runs_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from tta_dev_primitives import trace_operation

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer", lambda name, *args, **kwargs: provider.get_tracer(name))

    @trace_operation(span_name="my_op")
    async def traced_op(x: int) -> int:
        return x + 1

    await compile(node(traced_op)).run(1, context=RunContext(session_id="S1", workflow_id="W1"))
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "my_op"]
    attributes = span.attributes or {}
    assert (attributes.get("session.id"), attributes.get("workflow.id")) == ("S1", "W1") and attributes.get("workflow.correlation_id")


@pytest.mark.parametrize(
    ("given", "attributes", "environment", "expected"),
    [
        ("mine", {"service.name": "attrs"}, "env", "mine"),
        (None, {"service.name": "attrs"}, "env", "attrs"),
        (None, {}, "from-env", "from-env"),
        (None, {}, "attributes:from-resource-env", "from-resource-env"),
        (None, {}, None, "tta-dev-primitives"),
    ],
)
def test_the_service_name_comes_from_the_argument_the_attributes_or_the_environment(
    given: str | None, attributes: dict[str, str], environment: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    if environment is not None and environment.startswith("attributes:"):
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", f"deployment.environment=test,service.name={environment.split(':')[1]}")
    elif environment is not None:
        monkeypatch.setenv("OTEL_SERVICE_NAME", environment)
    exporter = InMemorySpanExporter()
    hook = configure_tracing(given, exporter=exporter, set_global=False, install=False, resource_attributes=attributes)
    assert hook is not None
    compile(node(inc)).with_hooks(hook).run_sync(1)
    (span,) = exporter.get_finished_spans()
    assert span.resource.attributes["service.name"] == expected


async def test_custom_cache_keys_never_reach_spans_verbatim() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    # The marker has letters outside hex, so a random trace or correlation id cannot contain it by chance.
    prompt = "my secret prompt about patient Qz-4411"
    plan = compile(node(lambda s: s.upper(), name="llm").cached(Cache(key=lambda s: s))).with_hooks(hook)
    await plan.run(prompt)
    await plan.run(prompt)
    recorded: list[str] = []
    for span in exporter.get_finished_spans():
        recorded.append(span.name)
        recorded += [str(v) for v in (span.attributes or {}).values()]
        for event in span.events:
            recorded += [str(v) for v in (event.attributes or {}).values()]
    events = [e.name for s in exporter.get_finished_spans() for e in s.events]
    assert "cache_miss" in events and "cache_hit" in events
    assert not any("secret prompt" in text or "Qz-4411" in text for text in recorded)


def test_flush_exports_a_batching_exporters_last_spans_and_shutdown_stops_tracing() -> None:
    """A short script's last spans sit in the batch processor's queue until it exports: `flush()`
    sends them now; `shutdown()` flushes, closes the exporter and uninstalls the hook, so runs
    after it still work and trace nothing."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from tta_dev_primitives.executor._hooks import installed_hooks

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", set_global=False, install=True)
    assert hook is not None and hook.provider is not None
    hook.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))  # exports only when asked
    try:
        plan = compile(node(inc, name="short") >> node(inc, name="script"))
        assert plan.run_sync(1) == 3
        assert exporter.get_finished_spans() == ()  # still queued
        assert hook.flush(5.0) is True
        assert sorted(s.name for s in exporter.get_finished_spans()) == ["script", "short", "short >> script"]
    finally:
        hook.shutdown()
    assert hook not in installed_hooks()
    assert plan.run_sync(1) == 3 and len(exporter.get_finished_spans()) == 3


def test_flush_of_a_hook_on_your_own_tracer_asks_the_global_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    flushed: list[int] = []
    provider = TracerProvider()
    monkeypatch.setattr(provider, "force_flush", lambda timeout_millis=30_000: flushed.append(timeout_millis) or True)
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    hook = TracingHook(provider.get_tracer("mine"))
    assert hook.provider is None and hook.flush(1.5) is True and flushed == [1500]
    hook.shutdown()  # your provider is yours to shut down
    assert flushed == [1500]
