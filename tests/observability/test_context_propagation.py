"""The original's W3C trace context between a WorkflowContext and OpenTelemetry
(`observability.context_propagation`), against a real SDK TracerProvider exporting to memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.observability import context_propagation
from tta_dev_primitives.observability.context_propagation import (
    create_linked_span,
    extract_baggage,
    extract_trace_context,
    inject_trace_context,
    propagate_baggage,
)

TRACE_ID = "0123456789abcdef0123456789abcdef"
SPAN_ID = "0123456789abcdef"


@pytest.fixture
def tracing() -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tests"), exporter


@pytest.fixture
def clean_otel_context() -> Iterator[None]:
    token = otel_context.attach(otel_context.Context())
    yield
    otel_context.detach(token)


def test_inject_copies_the_active_span_ids_into_the_context(tracing: tuple[trace.Tracer, InMemorySpanExporter]) -> None:
    tracer, _ = tracing
    context = WorkflowContext(workflow_id="wf")
    with tracer.start_as_current_span("entry") as span:
        assert inject_trace_context(context) is context
    ids = span.get_span_context()
    assert (context.trace_id, context.span_id) == (format(ids.trace_id, "032x"), format(ids.span_id, "016x"))
    assert context.trace_flags == 1 and len(context.trace_id) == 32 and len(context.span_id) == 16


def test_inject_without_an_active_span_leaves_the_context_alone() -> None:
    context = WorkflowContext(workflow_id="wf")
    assert inject_trace_context(context).trace_id is None and context.span_id is None


def test_extract_gives_a_remote_parent_that_linked_spans_continue(tracing: tuple[trace.Tracer, InMemorySpanExporter]) -> None:
    tracer, exporter = tracing
    context = WorkflowContext(trace_id=TRACE_ID, span_id=SPAN_ID)
    parent = extract_trace_context(context)
    assert parent is not None and parent.is_valid and parent.is_remote
    assert (parent.trace_id, parent.span_id) == (int(TRACE_ID, 16), int(SPAN_ID, 16))
    with create_linked_span(tracer, "child", context):
        pass
    (child,) = exporter.get_finished_spans()
    assert child.parent is not None and child.parent.span_id == int(SPAN_ID, 16)
    assert format(child.context.trace_id, "032x") == TRACE_ID
    assert context.span_id == format(child.context.span_id, "016x") != SPAN_ID  # the context now names the new span


def test_a_linked_span_without_a_trace_starts_one_and_records_it(tracing: tuple[trace.Tracer, InMemorySpanExporter]) -> None:
    tracer, exporter = tracing
    context = WorkflowContext()
    create_linked_span(tracer, "root", context).end()
    (root,) = exporter.get_finished_spans()
    assert root.parent is None
    assert (context.trace_id, context.span_id) == (format(root.context.trace_id, "032x"), format(root.context.span_id, "016x"))


@pytest.mark.parametrize(("trace_id", "span_id"), [("not-hex", SPAN_ID), (TRACE_ID, "xyz"), ("", SPAN_ID), (TRACE_ID, None)])
def test_missing_or_malformed_ids_extract_nothing(trace_id: str, span_id: str | None, caplog: pytest.LogCaptureFixture) -> None:
    context = WorkflowContext(trace_id=trace_id, span_id=span_id)
    with caplog.at_level(logging.WARNING, logger=context_propagation.__name__):
        assert extract_trace_context(context) is None
    malformed = bool(trace_id) and span_id is not None
    assert ("Failed to extract trace context" in caplog.text) is malformed


def test_ids_out_of_range_give_an_invalid_parent_and_a_new_trace(tracing: tuple[trace.Tracer, InMemorySpanExporter]) -> None:
    tracer, exporter = tracing
    context = WorkflowContext(trace_id="0" * 32, span_id=SPAN_ID)  # the all-zero trace id is invalid in W3C
    parent = extract_trace_context(context)
    assert parent is not None and not parent.is_valid
    create_linked_span(tracer, "fresh", context).end()
    (span,) = exporter.get_finished_spans()
    assert span.parent is None or not span.parent.is_valid


@pytest.mark.usefixtures("clean_otel_context")
def test_baggage_goes_from_the_context_into_opentelemetry_and_back() -> None:
    propagate_baggage(WorkflowContext(baggage={"tenant": "acme", "user": "42"}))
    assert baggage.get_all() == {"tenant": "acme", "user": "42"}
    received = WorkflowContext(baggage={"region": "eu"})
    extract_baggage(received)
    assert received.baggage == {"region": "eu", "tenant": "acme", "user": "42"}


@pytest.mark.usefixtures("clean_otel_context")
def test_opentelemetry_baggage_set_elsewhere_is_extracted() -> None:
    token = otel_context.attach(baggage.set_baggage("request", "r-1"))
    try:
        context = WorkflowContext()
        extract_baggage(context)
        assert context.baggage == {"request": "r-1"}
    finally:
        otel_context.detach(token)


@pytest.mark.usefixtures("clean_otel_context")
def test_without_opentelemetry_everything_degrades_to_no_ops(
    monkeypatch: pytest.MonkeyPatch, tracing: tuple[trace.Tracer, InMemorySpanExporter]
) -> None:
    monkeypatch.setattr(context_propagation, "TRACING_AVAILABLE", False)
    tracer, _ = tracing
    context = WorkflowContext(trace_id=TRACE_ID, span_id=SPAN_ID, baggage={"k": "v"})
    with tracer.start_as_current_span("ignored"):
        assert inject_trace_context(context).span_id == SPAN_ID
    assert extract_trace_context(context) is None
    propagate_baggage(context)
    assert baggage.get_all() == {}
    extract_baggage(context)
    assert context.baggage == {"k": "v"}



def _ids(span: object) -> tuple[str, str | None]:
    from opentelemetry.sdk.trace import ReadableSpan

    assert isinstance(span, ReadableSpan) and span.context is not None
    parent = None if span.parent is None else format(span.parent.span_id, "016x")
    return format(span.context.trace_id, "032x"), parent


async def _run_traced(hook: object, context: WorkflowContext) -> None:
    from tta_dev_primitives import compile, node

    async def answer(question: str) -> str:
        return question

    await compile(node(answer)).with_hooks(hook).run("q", context=context)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_plan_run_with_the_original_contexts_ids_continues_that_trace(traced: tuple[object, InMemorySpanExporter]) -> None:
    hook, exporter = traced
    await _run_traced(hook, WorkflowContext(trace_id=TRACE_ID, span_id=SPAN_ID))
    assert [_ids(span) for span in exporter.get_finished_spans()] == [(TRACE_ID, SPAN_ID)]


@pytest.mark.anyio
async def test_a_traceparent_in_the_metadata_wins_over_the_contexts_ids(traced: tuple[object, InMemorySpanExporter]) -> None:
    hook, exporter = traced
    other_trace, other_span = "f" * 32, "e" * 16
    context = WorkflowContext(trace_id=TRACE_ID, span_id=SPAN_ID, metadata={"traceparent": f"00-{other_trace}-{other_span}-01"})
    await _run_traced(hook, context)
    assert [_ids(span) for span in exporter.get_finished_spans()] == [(other_trace, other_span)]


@pytest.mark.anyio
async def test_malformed_ids_start_a_new_trace(traced: tuple[object, InMemorySpanExporter]) -> None:
    hook, exporter = traced
    await _run_traced(hook, WorkflowContext(trace_id="not hex", span_id=SPAN_ID))
    (trace_id, parent), = [_ids(span) for span in exporter.get_finished_spans()]
    assert parent is None and trace_id != TRACE_ID
