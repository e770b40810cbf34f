"""Per-node cost of tracing + metrics hooks vs the OpenTelemetry SDK's own span cost.

Targets (not tests): per-node overhead of tracing <= 1.1x the SDK's cost of one span (same
span processor and exporter), tracing + metrics <= 1.5x, and < 5% added latency on a node doing
1 ms of I/O. Also: what a 2-turn, 2-tool agent's trace costs by default (5 spans) and with a
span for every op (`detail="all"`).
Run: python -m benchmarks.bench_observability
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode
from prometheus_client import CollectorRegistry

from tta_dev_primitives import FakeChatModel, Node, ToolCall, agent, compile, node, tool
from tta_dev_primitives.stdlib.llm import ChatRequest
from tta_dev_primitives.observability import MetricsHook, TracingHook

from .harness import Case, environment, measure, table

STEPS = 10


class Discard(SpanExporter):
    """Exports nowhere: measures span creation and processing, not a network."""

    def export(self, spans: Sequence[object]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def step(x: int) -> int:
    return x + 1


async def io_step(x: int) -> int:
    await asyncio.sleep(0.001)
    return x


def chain(fn: object, steps: int) -> Node[int, int]:
    built: Node[int, int] = node(fn)  # type: ignore[call-overload]
    for _ in range(steps - 1):
        built = built >> node(fn)  # type: ignore[call-overload]
    return built


def cases() -> tuple[list[Case], list[Case]]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Discard()))
    tracer = provider.get_tracer("bench")
    tracing = TracingHook(tracer)
    metrics = MetricsHook(CollectorRegistry())
    plain = compile(chain(step, STEPS))
    traced = plain.with_hooks(tracing)
    both = plain.with_hooks(tracing, metrics)
    measured = plain.with_hooks(metrics)

    attributes = {"workflow.correlation_id": "0" * 32, "primitive.type": "function", "primitive.name": "step"}

    ok = Status(StatusCode.OK)

    async def sdk_spans() -> int:
        """What the same spans cost when written by hand with the SDK (same attributes, and the
        OK status a span that succeeded has)."""
        x = 0
        with tracer.start_as_current_span("chain", attributes=attributes) as chain:
            for _ in range(STEPS):
                with tracer.start_as_current_span("step", attributes=attributes) as span:
                    x = await step(x)
                    span.set_status(ok)
            chain.set_status(ok)
        return x

    async def raw() -> int:
        x = 0
        for _ in range(STEPS):
            x = await step(x)
        return x

    fast = [
        Case("raw awaits", raw, STEPS),
        Case("OTel SDK: the same 11 spans by hand", sdk_spans, STEPS),
        Case("plan, no hooks", lambda: plain.run(0), STEPS),
        Case("plan + metrics", lambda: measured.run(0), STEPS),
        Case("plan + tracing", lambda: traced.run(0), STEPS),
        Case("plan + tracing + metrics", lambda: both.run(0), STEPS),
    ]
    io_plain = compile(node(io_step))
    io_traced, io_measured, io_both = io_plain.with_hooks(tracing), io_plain.with_hooks(metrics), io_plain.with_hooks(tracing, metrics)

    async def io_sdk_spans() -> int:
        """The two spans a traced run makes (the run's and the node's), written by hand."""
        with tracer.start_as_current_span("run", attributes=attributes) as run:
            with tracer.start_as_current_span("io_step", attributes=attributes) as span:
                result = await io_step(0)
                span.set_status(ok)
            run.set_status(ok)
            return result

    slow = [
        Case("1 ms I/O node, no hooks", lambda: io_plain.run(0)),
        Case("1 ms I/O node, the same 2 spans by hand (OTel SDK)", io_sdk_spans),
        Case("1 ms I/O node, tracing", lambda: io_traced.run(0)),
        Case("1 ms I/O node, metrics", lambda: io_measured.run(0)),
        Case("1 ms I/O node, tracing + metrics", lambda: io_both.run(0)),
    ]
    return fast, slow


def weather(city: str) -> str:
    """The weather in a city."""
    return f"rain in {city}"


def population(city: str) -> int:
    """How many people live in a city."""
    return 709_000


async def agent_cases() -> tuple[list[Case], dict[str, int]]:
    """A 2-turn agent with two tools (a fake model): untraced, traced by default, and traced
    with a span for every op; and the spans each traced run makes."""
    provider = TracerProvider()
    counted = Counting()
    provider.add_span_processor(SimpleSpanProcessor(counted))
    tracer = provider.get_tracer("bench")
    calls = [ToolCall("c1", "weather", '{"input": "Oslo"}'), ToolCall("c2", "population", '{"input": "Oslo"}')]

    def reply(request: ChatRequest) -> str | list[ToolCall]:
        return calls if len(request.messages) < 3 else "Rainy."

    bot = compile(agent(FakeChatModel("gpt-4o-mini", reply=reply), [tool(weather), tool(population)], max_turns=3))
    by_detail = {detail: bot.with_hooks(TracingHook(tracer, detail=detail)) for detail in ("calls", "all")}
    spans: dict[str, int] = {}
    for detail, plan in by_detail.items():
        counted.count = 0
        await plan.run("Oslo?")
        spans[detail] = counted.count
    cases = [
        Case("agent, no hooks", lambda: bot.run("Oslo?")),
        Case(f"agent, tracing ({spans['calls']} spans)", lambda: by_detail["calls"].run("Oslo?")),
        Case(f"agent, tracing detail='all' ({spans['all']} spans)", lambda: by_detail["all"].run("Oslo?")),
    ]
    return cases, spans


class Counting(Discard):
    """Counts the spans it is handed."""

    count = 0

    def export(self, spans: Sequence[object]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS


async def main() -> None:
    fast, slow = cases()
    results = await measure(fast)
    print(table(f"{STEPS}-step plan with observability hooks", results, baseline="raw awaits", unit="step"))
    m = {r.case.name: r.median_s / STEPS for r in results}
    sdk_span = m["OTel SDK: the same 11 spans by hand"] - m["raw awaits"]
    per_node = m["plan + tracing + metrics"] - m["plan, no hooks"]
    tracing_only = m["plan + tracing"] - m["plan, no hooks"]
    print(
        f"\nper node (11 spans for 10 steps, amortised): SDK by hand {sdk_span * 1e6:.2f} µs; "
        f"tta tracing {tracing_only * 1e6:.2f} µs ({tracing_only / sdk_span:.2f}x, target <= 1.1x); "
        f"tta tracing + metrics {per_node * 1e6:.2f} µs ({per_node / sdk_span:.2f}x, target <= 1.5x)"
    )
    io_results = await measure(slow, rounds=7, round_seconds=0.2)
    print()
    print(table("1 ms I/O node", io_results, baseline="1 ms I/O node, no hooks", unit="call"))
    io = {r.case.name: r.median_s for r in io_results}
    base = io["1 ms I/O node, no hooks"]

    def added(case: str) -> str:
        return f"{(io[case] / base - 1) * 100:.1f}%"

    print(
        f"\nadded latency on a 1 ms I/O node: tracing + metrics {added('1 ms I/O node, tracing + metrics')} "
        f"(target < 5%); of which the OTel SDK's own two spans, written by hand, "
        f"{added('1 ms I/O node, the same 2 spans by hand (OTel SDK)')}; tracing hook "
        f"{added('1 ms I/O node, tracing')}; metrics hook {added('1 ms I/O node, metrics')}"
    )
    agents, spans = await agent_cases()
    agent_results = await measure(agents)
    print()
    print(table("2-turn agent with two tools (fake model)", agent_results, baseline="agent, no hooks", unit="run"))
    runs = {r.case.name: r.median_s for r in agent_results}
    untraced = runs["agent, no hooks"]
    traced = [runs[c.name] - untraced for c in agents[1:]]
    print(
        f"\ntracing an agent run: {traced[0] * 1e6:.0f} µs for {spans['calls']} spans by default, "
        f"{traced[1] * 1e6:.0f} µs for {spans['all']} with detail='all' ({traced[1] / traced[0]:.1f}x)"
    )
    print()
    print(environment("tta-dev-primitives", "opentelemetry-sdk", "prometheus-client"))


if __name__ == "__main__":
    asyncio.run(main())
