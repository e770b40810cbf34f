"""The shape of the traces people read: span trees and attribute keys, against golden files.

An agent (2 turns, 2 tools), a plain pipeline, a streaming plan and a resumed durable run are
traced to memory and rendered as an indented tree: each span's name, OpenInference kind,
status, events and attribute keys (values only where they are deterministic and telling).
A change in what a trace shows fails here, in the default suite; if it is intended,
regenerate with `UPDATE_GOLDEN=1 pytest tests/observability/test_trace_shapes.py` and review
the diff. Phoenix's own rendering of the agent trace is checked in `integration/test_phoenix.py`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tta_dev_primitives import (
    FakeChatModel,
    Interrupted,
    MemoryJournal,
    RunContext,
    ToolCall,
    agent,
    chat_stream,
    compile,
    interrupt,
    node,
    streaming,
    tool,
)
from tta_dev_primitives.observability import TraceDetail, TracingHook, configure_tracing
from tta_dev_primitives.stdlib.llm import ChatRequest

pytestmark = pytest.mark.anyio
GOLDEN = Path(__file__).parents[1] / "golden" / "traces"

_EVERY_SPAN = frozenset(
    {"workflow.correlation_id", "primitive.type", "primitive.name", "session.id", "openinference.span.kind", "workflow.fingerprint"}
)
"""Attribute keys every span (or every root) has: left out of the rendering, checked once below."""
_SHOWN_VALUES = frozenset(
    {"primitive.type", "tool.name", "llm.model_name", "gen_ai.operation.name", "workflow.plan", "workflow.resumed", "stream.chunks"}
)
"""Attributes whose values are deterministic and telling: shown as key=value."""


def _in_order(siblings: list[ReadableSpan]) -> list[ReadableSpan]:
    """Siblings in start order, those that overlap in time (concurrent tool calls, parallel
    branches, whose start order is the scheduler's) by name."""
    ordered: list[ReadableSpan] = []
    group: list[ReadableSpan] = []
    group_end = 0
    for span in sorted(siblings, key=lambda s: s.start_time or 0):
        if group and (span.start_time or 0) >= group_end:
            ordered.extend(sorted(group, key=lambda s: s.name))
            group = []
        group.append(span)
        group_end = max(group_end, span.end_time or 0)
    return ordered + sorted(group, key=lambda s: s.name)


def shape(spans: Sequence[ReadableSpan]) -> str:
    """The spans as an indented tree, children in start order (see `_in_order`)."""
    children: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans if s.context is not None}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)
    lines: list[str] = []

    def render(span: ReadableSpan, depth: int) -> None:
        attributes = dict(span.attributes or {})
        kind = attributes.get("openinference.span.kind", "-")
        status = span.status.status_code.name
        shown = [f"{k}={attributes[k]}" if k in _SHOWN_VALUES else k for k in sorted(attributes) if k not in _EVERY_SPAN]
        events = [e.name for e in span.events]
        links = [dict(link.attributes or {}).get("workflow.link", "link") for link in span.links]
        line = f"{'  ' * depth}{span.name}  [{kind}, {status}]"
        if events:
            line += f"  events={events}"
        if links:
            line += f"  links={links}"
        lines.append(line)
        lines.extend(f"{'  ' * depth}  · {item}" for item in shown)
        assert span.context is not None
        for child in _in_order(children.get(span.context.span_id, [])):
            render(child, depth + 1)

    for root in _in_order(children.get(None, [])):
        render(root, 0)
    return "\n".join(lines)


def _compare(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text + "\n" == path.read_text(), f"the trace of {name} changed; if intended, regenerate with UPDATE_GOLDEN=1"


def _tracing(record_content: bool = True, detail: TraceDetail = "calls") -> tuple[TracingHook, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("shapes", exporter=exporter, set_global=False, install=False, record_content=record_content, detail=detail)
    assert hook is not None
    return hook, exporter


def weather(city: str) -> str:
    """The weather in a city, today."""
    return f"rain in {city}"


def population(city: str) -> int:
    """How many people live in a city."""
    return 709_000


def _agent_plan() -> object:
    calls = [ToolCall("call-1", "weather", '{"input": "Oslo"}'), ToolCall("call-2", "population", '{"input": "Oslo"}')]
    model = FakeChatModel("gpt-4o-mini", script=[calls, "Rainy, and 709000 people get wet."])
    bot = agent(model, [tool(weather), tool(population)], max_turns=3, system="Answer briefly.", temperature=0.2, name="city bot")
    return compile(bot)


async def _run_agent(hook: TracingHook) -> None:
    plan = _agent_plan()
    answer = await plan.with_hooks(hook).run("Oslo: weather and size?", context=RunContext(session_id="s-1"))  # type: ignore[attr-defined]
    assert answer == "Rainy, and 709000 people get wet."


async def test_an_agent_is_one_agent_span_over_its_model_calls_and_tools() -> None:
    hook, exporter = _tracing()
    await _run_agent(hook)
    spans = exporter.get_finished_spans()
    assert len(spans) <= 9  # 2 turns, 2 tools: the agent, 2 model calls, 2 tool calls
    assert {s.status.status_code for s in spans} == {StatusCode.OK}
    assert all(_EVERY_SPAN - {"workflow.fingerprint"} <= set(s.attributes or {}) for s in spans)
    _compare("agent", shape(spans))


async def test_without_content_an_agent_trace_keeps_its_configuration_only() -> None:
    hook, exporter = _tracing(record_content=False)
    await _run_agent(hook)
    _compare("agent-no-content", shape(exporter.get_finished_spans()))


async def test_every_op_brings_back_the_structure_and_the_guards() -> None:
    hook, exporter = _tracing(record_content=False, detail="all")
    await _run_agent(hook)
    names = [s.name for s in exporter.get_finished_spans()]
    assert len(names) > 9
    assert {"prompt", "finished", "city bot answer", "city bot turn", "city bot iteration"} <= set(names)
    assert any(name.startswith("retry(") for name in names)


async def test_a_pipeline_is_its_root_and_its_steps() -> None:
    hook, exporter = _tracing()

    def parse(text: str) -> list[int]:
        return [int(word) for word in text.split()]

    async def total(numbers: list[int]) -> int:
        await anyio.lowlevel.checkpoint()  # the branches overlap: ordered by name in the shape
        return sum(numbers)

    async def largest(numbers: list[int]) -> int:
        await anyio.lowlevel.checkpoint()
        return max(numbers)

    from tta_dev_primitives import parallel

    flaky = node(largest).retry(max_attempts=2).timeout(5.0)
    plan = compile(node(parse) >> parallel(node(total), flaky), name="numbers")
    assert await plan.with_hooks(hook).run("3 4 5") == (12, 5)
    _compare("pipeline", shape(exporter.get_finished_spans()))


async def test_a_streaming_plan_times_its_first_chunk() -> None:
    hook, exporter = _tracing()
    model = FakeChatModel("fake-small", reply=lambda request: "One. Two. Three.")

    @node
    def ask(question: str) -> ChatRequest:
        return ChatRequest.of(question)

    @streaming
    async def shout(tokens: AsyncIterator[str]) -> AsyncIterator[str]:
        async for token in tokens:
            yield token.upper()

    plan = compile(ask >> chat_stream(model).retry(max_attempts=2) >> shout, name="streaming").with_hooks(hook)
    async with plan.stream("count") as chunks:
        assert "".join([chunk async for chunk in chunks]) == "ONE. TWO. THREE."
    spans = {s.name: s for s in exporter.get_finished_spans()}
    for streamed in ("shout", "fake-small stream"):
        first = (spans[streamed].attributes or {})["stream.time_to_first_chunk_s"]
        assert isinstance(first, float) and first >= 0
    root = next(s for s in exporter.get_finished_spans() if s.parent is None)
    assert (root.attributes or {})["output.value"] == "ONE. TWO. THREE."  # a streamed run's output: what its reader got
    _compare("streaming", shape(exporter.get_finished_spans()))


async def test_a_resumed_durable_run_links_to_its_first_trace() -> None:
    hook, exporter = _tracing(record_content=False)

    def draft(topic: str) -> str:
        return f"a post about {topic}"

    def publish(approved: bool) -> str:
        return "published" if approved else "dropped"

    plan = compile(node(draft) >> interrupt(str, bool, name="review") >> node(publish), name="blog").with_hooks(hook)
    journal = MemoryJournal()
    outcome = await plan.run("otters", run_id="post-1", journal=journal)
    assert isinstance(outcome, Interrupted)
    assert await plan.resume(outcome.token, True, journal=journal) == "published"
    _compare("durable", shape(exporter.get_finished_spans()))
