"""The original package's core primitives under their original paths (`core.sequential`,
`core.parallel`, `core.conditional`, `core.routing`): results, errors, context checkpoints and
state, per-step metrics, spans and log events as the original recorded them; and that they are
Nodes of this library (compiled into plans, with our nodes as children)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NoReturn, assert_type

import anyio
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tta_dev_primitives as tta
from tta_dev_primitives import ConfigError, compile, node
from tta_dev_primitives.core import conditional as conditional_module
from tta_dev_primitives.core import parallel as parallel_module
from tta_dev_primitives.core import sequential as sequential_module
from tta_dev_primitives.core.base import WorkflowContext, WorkflowPrimitive
from tta_dev_primitives.core.conditional import ConditionalPrimitive, SwitchPrimitive
from tta_dev_primitives.core.parallel import ParallelPrimitive
from tta_dev_primitives.core.routing import RouterPrimitive
from tta_dev_primitives.core.sequential import SequentialPrimitive
from tta_dev_primitives.observability.instrumented_primitive import InstrumentedPrimitive

pytestmark = pytest.mark.anyio


class Inc(WorkflowPrimitive[int, int]):
    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        return input_data + 1


class Tagged(InstrumentedPrimitive[dict[str, object], dict[str, object]]):
    """Adds `tag: True` and keeps the context it ran with."""

    def __init__(self, tag: str) -> None:
        super().__init__(name=tag)
        self.tag = tag
        self.context: WorkflowContext | None = None

    async def _execute_impl(self, input_data: dict[str, object], context: WorkflowContext) -> dict[str, object]:
        self.context = context
        context.state[self.tag] = True
        return {**input_data, self.tag: True}


class Boom(WorkflowPrimitive[object, object]):
    async def execute(self, input_data: object, context: WorkflowContext) -> object:
        raise ValueError("boom")


@node
def double(x: int) -> int:
    return x * 2


class Collector:
    """Records what the primitives report to the enhanced metrics collector."""

    def __init__(self) -> None:
        self.executions: list[tuple[str, bool]] = []

    def start_request(self, primitive_name: str) -> None: ...

    def end_request(self, primitive_name: str) -> None: ...

    def record_execution(self, primitive_name: str, duration_ms: float, success: bool, **_: object) -> None:
        assert duration_ms >= 0
        self.executions.append((primitive_name, success))


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Collector:
    spy = Collector()
    from tta_dev_primitives.core import _instrumented

    for module in (sequential_module, parallel_module, conditional_module, _instrumented):
        monkeypatch.setattr(module, "get_enhanced_metrics_collector", lambda: spy)
    return spy


@pytest.fixture
def exporter() -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield spans, provider
    provider.shutdown()


def names(context: WorkflowContext) -> list[str]:
    return [name for name, _ in context.checkpoints]


def events(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.getMessage().startswith(prefix)]


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    return next(span for span in spans if span.name == name)


# --- SequentialPrimitive ------------------------------------------------------------------


async def test_sequential_records_the_originals_checkpoints_metrics_and_logs(collector: Collector, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.core")
    context = WorkflowContext(workflow_id="wf")
    result = await SequentialPrimitive([Tagged("a"), Tagged("b")]).execute({}, context)
    assert result == {"a": True, "b": True}
    assert names(context) == [
        "SequentialPrimitive.start",
        "sequential.step_0.start", "a.start", "a.end", "sequential.step_0.end",
        "sequential.step_1.start", "b.start", "b.end", "sequential.step_1.end",
        "SequentialPrimitive.end",
    ]
    assert collector.executions == [
        ("a", True), ("SequentialPrimitive.step_0", True), ("b", True), ("SequentialPrimitive.step_1", True), ("SequentialPrimitive", True),
    ]
    assert events(caplog, "sequential_") == [
        "sequential_workflow_start", "sequential_step_start", "sequential_step_complete",
        "sequential_step_start", "sequential_step_complete", "sequential_workflow_complete",
    ]


async def test_sequential_stops_at_a_failing_step_and_raises_its_error(collector: Collector) -> None:
    context = WorkflowContext()
    after = Tagged("after")
    with pytest.raises(ValueError, match="boom"):
        await SequentialPrimitive([Inc(), Boom(), after]).execute(1, context)
    assert "sequential.step_1.start" in names(context) and "sequential.step_1.end" not in names(context)
    assert names(context)[-1] == "SequentialPrimitive.end" and after.context is None
    assert ("SequentialPrimitive", False) in collector.executions
    assert ("SequentialPrimitive.step_1", True) not in collector.executions


async def test_sequential_opens_a_span_per_step_unless_tracing_is_off(
    exporter: tuple[InMemorySpanExporter, TracerProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    spans, provider = exporter
    workflow = SequentialPrimitive([Inc(), Boom()])
    workflow._tracer = provider.get_tracer("test")
    with pytest.raises(ValueError):
        await workflow.execute(1, WorkflowContext())
    finished = spans.get_finished_spans()
    ok, failed = by_name(finished, "sequential.step_0"), by_name(finished, "sequential.step_1")
    assert ok.attributes is not None and failed.attributes is not None
    assert dict(ok.attributes) == {"step.index": 0, "step.name": "step_0_Inc", "step.primitive_type": "Inc", "step.total_steps": 2, "step.status": "success"}
    assert failed.attributes["step.status"] == "error" and failed.attributes["step.error"] == "boom"
    assert [event.name for event in failed.events] == ["exception"]
    outer = by_name(finished, "primitive.SequentialPrimitive")
    assert outer.attributes["primitive.status"] == "error"  # type: ignore[index]
    assert [event.name for event in outer.events] == ["exception"]  # recorded once, not again as the span ends

    spans.clear()
    monkeypatch.setattr(sequential_module, "TRACING_AVAILABLE", False)
    assert await SequentialPrimitive([Inc(), Inc()]).execute(1, WorkflowContext()) == 3
    assert not [span for span in spans.get_finished_spans() if span.name.startswith("sequential.")]


def test_sequential_needs_a_step_and_flattens_with_rshift() -> None:
    with pytest.raises(ValueError, match="^SequentialPrimitive requires at least one primitive$") as raised:
        SequentialPrimitive([])
    assert isinstance(raised.value, ConfigError) and raised.value.node == "SequentialPrimitive"
    steps: list[Inc] = [Inc()]
    built = SequentialPrimitive(steps)
    steps.append(Inc())  # the original kept the caller's list
    assert built.primitives is steps
    a, b, c, d = Inc(), Inc(), Inc(), Inc()
    assert (a >> b >> c).primitives == [a, b, c]
    assert ((a >> b) >> (c >> d)).primitives == [a, b, c, d]
    nested = a >> (b >> c)  # the original flattened only on the left
    assert len(nested.primitives) == 2 and isinstance(nested.primitives[1], SequentialPrimitive)
    assert isinstance(a >> double, SequentialPrimitive) and not isinstance(tta.Sequential([a]), SequentialPrimitive)


# --- ParallelPrimitive --------------------------------------------------------------------


async def test_parallel_runs_each_branch_in_a_child_context(collector: Collector) -> None:
    a, b = Tagged("a"), Tagged("b")
    context = WorkflowContext(
        workflow_id="wf", correlation_id="corr", trace_id="0123456789abcdef0123456789abcdef", span_id="0123456789abcdef", state={"shared": {"n": 1}}
    )
    assert await ParallelPrimitive([a, b]).execute({}, context) == [{"a": True}, {"b": True}]
    assert a.context is not None and b.context is not None and a.context is not b.context and a.context is not context
    for child in (a.context, b.context):
        assert child.correlation_id == child.causation_id == "corr" and child.workflow_id == "wf"
        assert child.trace_id == "0123456789abcdef0123456789abcdef" and child.parent_span_id == context.span_id
    assert a.context.state["shared"] is not context.state["shared"]  # deep copies: a branch's writes stay its own
    assert "a" not in context.state and "b" not in a.context.state
    checkpoints = names(context)
    assert checkpoints[:2] == ["ParallelPrimitive.start", "parallel.fan_out"] and checkpoints[-2:] == ["parallel.fan_in", "ParallelPrimitive.end"]
    assert {"parallel.branch_0.start", "parallel.branch_0.end", "parallel.branch_1.start", "parallel.branch_1.end"} <= set(checkpoints)
    assert "a.start" not in checkpoints  # recorded on the branch's own context
    assert {"ParallelPrimitive.branch_0", "ParallelPrimitive.branch_1"} <= {name for name, _ in collector.executions}


async def test_parallel_raises_the_first_error_itself_and_cancels_the_other_branches() -> None:
    cancelled = anyio.Event()

    class Hang(WorkflowPrimitive[object, object]):
        async def execute(self, input_data: object, context: WorkflowContext) -> object:
            try:
                await anyio.sleep_forever()
            finally:
                cancelled.set()
            raise AssertionError("unreachable")

    context = WorkflowContext()
    with pytest.raises(ValueError, match="boom"):
        await ParallelPrimitive([Hang(), Boom()]).execute(1, context)
    assert cancelled.is_set()
    assert "parallel.fan_in" not in names(context) and names(context)[-1] == "ParallelPrimitive.end"


async def test_parallel_branch_spans_and_flattening(exporter: tuple[InMemorySpanExporter, TracerProvider]) -> None:
    spans, provider = exporter
    workflow = Inc() | double
    workflow._tracer = provider.get_tracer("test")
    assert await workflow.execute(3, WorkflowContext()) == [4, 6]
    span = by_name(spans.get_finished_spans(), "parallel.branch_1")
    assert span.attributes is not None and span.attributes["branch.primitive_type"] == "FunctionNode"
    assert span.attributes["branch.status"] == "success" and span.attributes["branch.total_branches"] == 2
    a, b, c, d = Inc(), Inc(), Inc(), Inc()
    assert ((a | b) | (c | d)).primitives == [a, b, c, d]
    with pytest.raises(ValueError, match="^ParallelPrimitive requires at least one primitive$"):
        ParallelPrimitive([])
    ours_first = double | Inc()  # our Nodes have no `|`: the primitive's __ror__ builds it
    assert isinstance(ours_first, ParallelPrimitive) and ours_first.primitives[0] is double
    assert await ours_first.execute(3, WorkflowContext()) == [6, 4]


# --- ConditionalPrimitive and SwitchPrimitive ---------------------------------------------


async def test_conditional_branches_pass_through_and_bookkeeping(collector: Collector, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.core")
    workflow = ConditionalPrimitive(lambda x, ctx: x > 10, then_primitive=double, else_primitive=Inc())
    then_context, else_context = WorkflowContext(), WorkflowContext()
    assert await workflow.execute(20, then_context) == 40 and await workflow.execute(1, else_context) == 2
    assert names(then_context) == [
        "conditional.start", "conditional.condition_eval.start", "conditional.condition_eval.end",
        "conditional.branch_then.start", "conditional.branch_then.end", "conditional.end",
    ]
    assert "conditional.branch_else.end" in names(else_context)
    assert [name for name, _ in collector.executions] == [
        "ConditionalPrimitive.condition_eval", "ConditionalPrimitive.branch_then",
        "ConditionalPrimitive.condition_eval", "ConditionalPrimitive.branch_else",
    ]
    passthrough = WorkflowContext()
    assert await ConditionalPrimitive(lambda x, ctx: False, double).execute(7, passthrough) == 7
    assert names(passthrough) == ["conditional.start", "conditional.condition_eval.start", "conditional.condition_eval.end", "conditional.end"]
    assert "conditional_passthrough" in events(caplog, "conditional_")


async def test_a_failing_condition_or_selector_is_logged_and_raised(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.core")

    def broken(x: object, ctx: WorkflowContext) -> NoReturn:
        raise RuntimeError("no condition")

    context = WorkflowContext()
    with pytest.raises(RuntimeError, match="no condition"):
        await ConditionalPrimitive(broken, double).execute(1, context)
    assert names(context) == ["conditional.start", "conditional.condition_eval.start"]
    with pytest.raises(RuntimeError, match="no condition"):
        await SwitchPrimitive(broken, {"a": double}).execute(1, WorkflowContext())
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in errors] == ["conditional_condition_error", "switch_selector_error"]


async def test_switch_cases_default_and_pass_through(collector: Collector, exporter: tuple[InMemorySpanExporter, TracerProvider], monkeypatch: pytest.MonkeyPatch) -> None:
    spans, provider = exporter
    monkeypatch.setattr(conditional_module, "original_tracer", lambda module: provider.get_tracer(module))
    workflow = SwitchPrimitive(lambda x, ctx: str(x["case"]), {"a": LambdaCase("a"), "b": LambdaCase("b")}, default=LambdaCase("default"))
    context = WorkflowContext()
    assert await workflow.execute({"case": "a"}, context) == {"case": "a", "ran": "a"}
    assert names(context) == ["switch.start", "switch.selector_eval.start", "switch.selector_eval.end", "switch.case_a.start", "switch.case_a.end", "switch.end"]
    default_context = WorkflowContext()
    assert (await workflow.execute({"case": "z"}, default_context))["ran"] == "default"
    assert "switch.default.end" in names(default_context)
    assert [name for name, _ in collector.executions] == [
        "SwitchPrimitive.selector_eval", "SwitchPrimitive.case_a", "SwitchPrimitive.selector_eval", "SwitchPrimitive.default",
    ]
    span = by_name(spans.get_finished_spans(), "switch.case_a")
    assert span.attributes is not None and span.attributes["case.key"] == "a" and span.attributes["case.status"] == "success"
    no_default = WorkflowContext()
    assert await SwitchPrimitive(lambda x, ctx: "z", {"a": double}).execute(5, no_default) == 5
    assert names(no_default)[-1] == "switch.end" and not [name for name in names(no_default) if name.startswith("switch.case")]


class LambdaCase(WorkflowPrimitive[dict[str, object], dict[str, object]]):
    def __init__(self, label: str) -> None:
        self.label = label

    async def execute(self, input_data: dict[str, object], context: WorkflowContext) -> dict[str, object]:
        return {**input_data, "ran": self.label}


# --- RouterPrimitive ----------------------------------------------------------------------


async def test_router_routes_falls_back_and_keeps_a_history() -> None:
    router = RouterPrimitive({"inc": Inc(), "double": double}, lambda x, ctx: str(ctx.metadata.get("route", "nowhere")), default="inc")
    context = WorkflowContext(metadata={"route": "double"})
    assert await router.execute(5, context) == 10
    assert await router.execute(5, WorkflowContext()) == 6  # unknown route: the default
    context.metadata["route"] = "inc"
    await router.execute(1, context)
    assert context.state["routing_history"] == ["double", "inc"]
    strict = RouterPrimitive({"inc": Inc(), "double": double}, lambda x, ctx: "other")
    with pytest.raises(ValueError, match=r"^No route found for key 'other'. Available routes: inc, double$"):
        await strict.execute(1, WorkflowContext())


# --- Nodes of this library ----------------------------------------------------------------


async def test_faithful_composites_compile_into_plans_with_our_nodes_as_children() -> None:
    @node
    def total(values: list[int]) -> int:
        return sum(values)

    workflow = SequentialPrimitive([double, ParallelPrimitive([Inc(), double]), total])
    plan = compile(workflow)
    assert await plan.run(3) == 19
    assert await plan.run(1) == 7
    @node
    def plus_one(x: int) -> int:
        return x + 1

    routed = compile(plus_one >> RouterPrimitive({"d": double}, lambda x, ctx: "d") >> ConditionalPrimitive(lambda x, ctx: x > 5, Inc()))
    assert await routed.run(2) == 7 and await routed.run(1) == 4
    context = WorkflowContext()
    assert await compile(Inc() >> double).run(1, context=context) == 4
    assert names(context)[0] == "SequentialPrimitive.start"  # the plan ran it with the caller's context


def test_faithful_composites_expose_their_parts_as_the_original() -> None:
    branch = ConditionalPrimitive(lambda x, ctx: True, double, Inc())
    assert branch.then_primitive is double and isinstance(branch.else_primitive, Inc)
    switch: SwitchPrimitive[Any, Any, str] = SwitchPrimitive(lambda x, ctx: "a", {"a": double})
    assert switch.cases == {"a": double} and switch.default is None
    router = RouterPrimitive({"a": double}, lambda x, ctx: "a", "a")
    assert router.routes == {"a": double} and router.default == "a"


class Show(WorkflowPrimitive[int, str]):
    async def execute(self, input_data: int, context: WorkflowContext) -> str:
        return str(input_data)


def test_faithful_composites_are_typed_by_their_parts() -> None:
    """Static types (checked by mypy over the tests); at run time, the classes."""
    assert_type(Inc() >> Show(), SequentialPrimitive[int, str])
    assert_type((Inc() >> Inc()) >> Show(), SequentialPrimitive[int, str])
    assert_type(Inc() | Show(), ParallelPrimitive[int, list[int | str]])
    assert_type(ConditionalPrimitive(lambda x, ctx: x > 1, Show(), Show()), ConditionalPrimitive[int, str])
    assert_type(ConditionalPrimitive(lambda x, ctx: x > 1, Show()), ConditionalPrimitive[int, int | str])  # passes the input through
    assert_type(SwitchPrimitive(lambda x, ctx: "a", {"a": Show()}, default=Show()), SwitchPrimitive[int, str, str])
    assert_type(SwitchPrimitive(lambda x, ctx: "a", {"a": Show()}), SwitchPrimitive[int, int | str, str])
    assert_type(RouterPrimitive({"a": Show()}, lambda x, ctx: "a"), RouterPrimitive[int, str])


async def test_lambda_primitive_keeps_the_originals_attributes() -> None:
    from tta_dev_primitives.core.base import LambdaPrimitive

    async def tag(text: str, ctx: WorkflowContext) -> str:
        return f"{ctx.workflow_id}:{text}"

    def shout(text: str, ctx: WorkflowContext) -> str:
        return text.upper()

    tagged, shouted = LambdaPrimitive(tag), LambdaPrimitive(shout)
    assert (tagged.is_async, shouted.is_async) == (True, False) and tagged.func is tag
    assert await (tagged >> shouted).execute("x", WorkflowContext(workflow_id="w")) == "W:X"
