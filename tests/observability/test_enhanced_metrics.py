"""The original's enhanced metrics as a hook on our engine: every node of a plan run recorded
into an EnhancedMetricsCollector (percentiles, SLOs, throughput, cost), and the collector shown
to Prometheus. Time comes from a FakeClock: nothing here sleeps."""

from __future__ import annotations

import threading

import anyio
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from tta_dev_primitives import Cache, ChatRequest, FakeChatModel, Retry, compile, installed_hooks, node, uninstall_hook
from tta_dev_primitives.observability import (
    EnhancedMetricsCollector,
    EnhancedMetricsExporter,
    EnhancedMetricsHook,
    configure_enhanced_metrics,
    register_enhanced_metrics,
)
from tta_dev_primitives.stdlib.llm import CostTracker, LLMPrimitive
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


def _timed(clock: FakeClock, name: str, seconds: float, *, fail: bool = False) -> object:
    async def step(x: int) -> int:
        await clock.sleep(seconds)
        if fail:
            raise ValueError("step failed")
        return x + 1

    return node(step, name=name)


async def test_every_node_of_a_run_is_recorded_with_its_duration() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now)
    plan = compile(_timed(clock, "load", 0.25) >> _timed(clock, "save", 0.5), name="etl").with_hooks(hook)  # type: ignore[operator]
    for i in range(4):
        assert await plan.run(i) == i + 2
    metrics = hook.collector.get_all_metrics("load")
    assert metrics["percentiles"] == {"p50": 250.0, "p90": 250.0, "p95": 250.0, "p99": 250.0}
    assert hook.collector.get_percentiles("save")["p99"] == 500.0
    assert metrics["throughput"]["total_requests"] == 4 and metrics["throughput"]["active_requests"] == 0
    assert {"load", "save", "load >> save"} <= set(hook.collector.get_all_primitives_metrics())
    assert metrics["cost"] == {} and metrics["slo"] == {}  # no price, no SLO configured


async def test_failures_count_against_a_configured_slo_and_spend_its_error_budget() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now)
    hook.collector.configure_slo("flaky", target=0.9, error_rate_threshold=0.1)
    good = compile(_timed(clock, "flaky", 0.1)).with_hooks(hook)
    bad = compile(_timed(clock, "flaky", 0.1, fail=True)).with_hooks(hook)
    for _ in range(19):
        await good.run(1)
    with pytest.raises(ValueError, match="step failed"):
        await bad.run(1)
    slo = hook.collector.get_slo_status("flaky")
    assert (slo["total_requests"], slo["availability"], slo["is_compliant"]) == (20, 0.95, True)
    assert slo["error_budget_remaining"] == pytest.approx(0.5)  # 2 failures allowed in 20, 1 spent
    with pytest.raises(ValueError):
        await bad.run(1)
    with pytest.raises(ValueError):
        await bad.run(1)
    assert hook.collector.get_slo_status("flaky")["error_budget_remaining"] < 0.5
    assert hook.collector.get_throughput("flaky")["active_requests"] == 0  # a failed node ended its request


async def test_a_latency_slo_counts_the_nodes_over_the_threshold() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now)
    hook.collector.configure_slo("fast", target=0.75, threshold_ms=200.0)
    for seconds in (0.1, 0.1, 0.1, 0.3):
        await compile(_timed(clock, "fast", seconds)).with_hooks(hook).run(0)
    slo = hook.collector.get_slo_status("fast")
    assert (slo["latency_compliance"], slo["is_compliant"], slo["error_budget_remaining"]) == (0.75, True, 1.0)
    await compile(_timed(clock, "fast", 0.3)).with_hooks(hook).run(0)
    slo = hook.collector.get_slo_status("fast")
    assert slo["is_compliant"] is False and slo["error_budget_remaining"] == pytest.approx(0.6 / 0.75)


async def test_a_cancelled_node_ends_its_request_without_failing_the_slo() -> None:
    clock = FakeClock(auto_advance=False)
    hook = EnhancedMetricsHook(clock=clock.now)
    hook.collector.configure_slo("slow", target=0.99, error_rate_threshold=0.01)
    plan = compile(_timed(clock, "slow", 10.0)).with_hooks(hook)
    async with anyio.create_task_group() as tg:
        tg.start_soon(plan.run, 0)
        await anyio.wait_all_tasks_blocked()
        assert hook.collector.get_throughput("slow")["active_requests"] == 1  # in flight while it waits
        tg.cancel_scope.cancel()
    assert hook.collector.get_throughput("slow")["active_requests"] == 0
    assert hook.collector.get_slo_status("slow")["total_requests"] == 0


async def test_requests_per_second_follow_the_clock() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now)
    plan = compile(_timed(clock, "tick", 0.5)).with_hooks(hook)
    for _ in range(5):
        await plan.run(0)
    # five starts 0.5 s apart, read 0.5 s after the last: 5 requests over 2.5 s
    assert hook.collector.get_throughput("tick")["requests_per_second"] == pytest.approx(2.0)
    clock.advance(120.0)  # all of them older than the one-minute window
    assert hook.collector.get_throughput("tick")["requests_per_second"] == 0.0


async def test_a_model_reply_is_priced_once_under_its_node_by_model() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now, cost_of=CostTracker().cost_of)
    model = FakeChatModel("gpt-4o", reply=lambda request: "w " * 300)
    plan = compile(Retry(max_attempts=2, clock=clock)(LLMPrimitive(model)) >> node(lambda r: r.text[:1], name="head")).with_hooks(hook)
    await plan.run(ChatRequest.of("hi"))
    await plan.run(ChatRequest.of("hi"))
    every = hook.collector.get_all_primitives_metrics()
    priced = {name: m["cost"] for name, m in every.items() if m["cost"]}
    assert list(priced) == ["gpt-4o"]  # not again under the retry around it
    one_call = CostTracker().cost_of(await LLMPrimitive(model).execute(ChatRequest.of("hi")))
    assert one_call is not None and one_call > 0
    assert priced["gpt-4o"]["total_cost"] == pytest.approx(2 * one_call)
    assert priced["gpt-4o"]["cost_by_operation"] == {"gpt-4o": pytest.approx(2 * one_call)}


async def test_a_cached_reply_is_recorded_as_savings_under_the_cache() -> None:
    clock = FakeClock()
    hook = EnhancedMetricsHook(clock=clock.now, cost_of=CostTracker().cost_of)
    model = FakeChatModel("gpt-4o", reply=lambda request: "w " * 300)
    plan = compile(Cache(max_size=10, ttl=60, clock=clock)(LLMPrimitive(model))).with_hooks(hook)
    for _ in range(3):
        await plan.run(ChatRequest.of("hi"))
    assert len(model.requests) == 1
    one_call = hook.collector.get_cost_metrics("gpt-4o")["total_cost"]
    assert one_call > 0
    cache = hook.collector.get_cost_metrics("cache(gpt-4o)")
    assert (cache["total_cost"], cache["total_savings"]) == (0.0, pytest.approx(2 * one_call))
    assert cache["net_cost"] == pytest.approx(-2 * one_call)


async def test_node_names_beyond_the_limit_are_recorded_as_other() -> None:
    hook = EnhancedMetricsHook(clock=FakeClock().now, max_label_values=2)
    for name in ("a", "b", "c", "d"):
        await compile(node(lambda x: x, name=name)).with_hooks(hook).run(0)
    assert hook.collector.primitive_names() == ["a", "b", "other"]
    assert hook.collector.get_throughput("other")["total_requests"] == 2


def test_configure_installs_the_hook_for_every_plan_and_registers_the_exporter() -> None:
    registry = CollectorRegistry()
    clock = FakeClock()
    hook = configure_enhanced_metrics(registry, clock=clock.now)
    try:
        assert hook in installed_hooks()
        compile(node(lambda x: x * 2, name="double")).run_sync(3)
        assert hook.collector.get_throughput("double")["total_requests"] == 1
        assert b'tta_primitive_requests_total{primitive="double"} 1.0' in generate_latest(registry)
    finally:
        uninstall_hook(hook)
    again = configure_enhanced_metrics(registry, install=False)  # configuring again replaces the exporter
    assert again not in installed_hooks()
    assert b'primitive="double"' not in generate_latest(registry)


def test_the_exporter_shows_percentiles_slos_throughput_and_cost() -> None:
    clock = FakeClock(start=1000.0)
    collector = EnhancedMetricsCollector(clock=clock.now)
    collector.configure_slo("llm", target=0.5, error_rate_threshold=0.5)
    for duration, ok in ((100.0, True), (300.0, False)):
        collector.start_request("llm")
        collector.record_execution("llm", duration, ok, cost=0.25, savings=0.05, operation="gpt-4o")
        collector.end_request("llm")
    collector.start_request("llm")  # one in flight
    clock.advance(2.0)
    registry = CollectorRegistry()
    register_enhanced_metrics(collector, registry, namespace="app")
    text = generate_latest(registry).decode()
    expected = [
        'app_primitive_latency_seconds{primitive="llm",quantile="0.5"} 0.2',
        'app_primitive_latency_seconds{primitive="llm",quantile="0.99"} 0.298',
        'app_primitive_slo_target{primitive="llm"} 0.5',
        'app_primitive_slo_availability{primitive="llm"} 0.5',
        'app_primitive_slo_compliant{primitive="llm"} 1.0',
        'app_primitive_slo_error_budget_remaining{primitive="llm"} 0.0',
        'app_primitive_slo_requests_total{primitive="llm"} 2.0',
        'app_primitive_requests_total{primitive="llm"} 3.0',
        'app_primitive_active_requests{primitive="llm"} 1.0',
        'app_primitive_requests_per_second{primitive="llm"} 1.5',
        'app_primitive_cost_total{operation="gpt-4o",primitive="llm"} 0.5',
        'app_primitive_cost_savings_total{primitive="llm"} 0.1',
        'app_primitive_net_cost{primitive="llm"} 0.4',
    ]
    missing = [line for line in expected if line not in text]
    assert not missing, text


def test_a_name_only_started_shows_no_latency_series() -> None:
    collector = EnhancedMetricsCollector(clock=FakeClock().now)
    collector.start_request("pending")
    text = generate_latest(_registry(EnhancedMetricsExporter(collector))).decode()
    assert 'tta_primitive_active_requests{primitive="pending"} 1.0' in text
    assert 'tta_primitive_latency_seconds{primitive="pending"' not in text


def _registry(exporter: EnhancedMetricsExporter) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(exporter)
    return registry


def test_the_collector_is_safe_to_share_between_threads() -> None:
    collector = EnhancedMetricsCollector(clock=FakeClock().now)
    collector.configure_slo("shared", target=0.99, error_rate_threshold=0.01)

    def work() -> None:
        for _ in range(500):
            collector.start_request("shared")
            collector.record_execution("shared", 1.0, True, cost=0.001)
            collector.end_request("shared")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    metrics = collector.get_all_metrics("shared")
    assert metrics["slo"]["total_requests"] == 4000 and metrics["throughput"]["total_requests"] == 4000
    assert metrics["throughput"]["active_requests"] == 0 and collector.sample_count("shared") == 4000
    assert metrics["cost"]["total_cost"] == pytest.approx(4.0)
