"""Code written for the original package runs unchanged: chains built with `>>` and `|` are
executable with `execute(input_data, context)`, the original module paths import, and the
original constructor keywords and method names are accepted or refused with the new spelling."""

from __future__ import annotations

import pytest

from tta_dev_primitives import LambdaPrimitive, WorkflowContext, WorkflowPrimitive, compile, node

pytestmark = pytest.mark.anyio


class AddOne(WorkflowPrimitive[int, int]):
    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        return input_data + 1


class Double(WorkflowPrimitive[int, int]):
    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        return input_data * 2


async def test_a_chain_of_seed_primitives_is_executable() -> None:
    workflow = AddOne() >> Double() >> AddOne()
    assert await workflow.execute(1, WorkflowContext(workflow_id="wf")) == 5
    assert await workflow.execute(2, WorkflowContext()) == 7  # compiled once, run again


async def test_a_parallel_of_seed_primitives_is_executable() -> None:
    workflow = AddOne() | Double() | AddOne()
    assert await workflow.execute(3, WorkflowContext()) == [4, 6, 4]


async def test_any_node_is_executable_and_composition_errors_surface_at_execute() -> None:
    @node
    def shout(text: str) -> str:
        return text.upper()

    assert await (shout >> shout).execute("hi", WorkflowContext()) == "HI"
    broken = AddOne() >> LambdaPrimitive(lambda text: text.upper()).cast(str)  # an unchecked edge is fine
    with pytest.raises(AttributeError):
        await broken.execute(1, WorkflowContext())


async def test_a_renamed_copy_runs_its_own_plan() -> None:
    chain = AddOne() >> Double()
    assert await chain.execute(1, WorkflowContext()) == 4
    renamed = chain.named("renamed")
    await renamed.execute(1, WorkflowContext())
    assert renamed.__dict__["_tta_plan"].name == "renamed"
    assert chain.__dict__["_tta_plan"].name != "renamed"
    assert compile(renamed).name == "renamed"


# --- code as a user of the original package wrote it --------------------------------------

from tta_dev_primitives.core.base import WorkflowContext as OriginalContext  # noqa: E402
from tta_dev_primitives.core.base import WorkflowPrimitive as OriginalPrimitive  # noqa: E402
from tta_dev_primitives.core.parallel import ParallelPrimitive  # noqa: E402
from tta_dev_primitives.core.sequential import SequentialPrimitive  # noqa: E402
from tta_dev_primitives.observability.instrumented_primitive import InstrumentedPrimitive  # noqa: E402
from tta_dev_primitives.performance.cache import CachePrimitive  # noqa: E402
from tta_dev_primitives.recovery.retry import RetryPrimitive, RetryStrategy  # noqa: E402
from tta_dev_primitives.recovery.timeout import TimeoutError as OriginalTimeoutError  # noqa: E402
from tta_dev_primitives.recovery.timeout import TimeoutPrimitive  # noqa: E402
from tta_dev_primitives.stdlib.testing import FakeClock  # noqa: E402
from tta_dev_primitives.testing.mocks import MockPrimitive  # noqa: E402


class Enrich(InstrumentedPrimitive[dict[str, object], dict[str, object]]):
    def __init__(self) -> None:
        super().__init__(name="enrich")

    async def _execute_impl(self, input_data: dict[str, object], context: OriginalContext) -> dict[str, object]:
        context.checkpoint("enrich.done")
        return {**input_data, "enriched": True, "player": context.player_id}


class Tag(OriginalPrimitive[dict[str, object], dict[str, object]]):
    def __init__(self, tag: str) -> None:
        self.name = f"tag-{tag}"
        self.tag = tag

    async def execute(self, input_data: dict[str, object], context: OriginalContext) -> dict[str, object]:
        return {**input_data, self.tag: True}


async def test_original_subclasses_and_context_run_unchanged() -> None:
    context = OriginalContext(workflow_id="wf-1", session_id="s", player_id="p1", trace_id="t" * 32, baggage={"tenant": "a"})
    workflow = Enrich() >> Tag("a") >> LambdaPrimitive(lambda data, c: {**data, "wf": c.workflow_id})
    result = await workflow.execute({"q": 1}, context)
    assert result == {"q": 1, "enriched": True, "player": "p1", "a": True, "wf": "wf-1"}
    checkpoints = [name for name, _ in context.checkpoints]
    assert checkpoints[:4] == ["SequentialPrimitive.start", "sequential.step_0.start", "enrich.start", "enrich.done"]
    assert checkpoints[-1] == "SequentialPrimitive.end"
    assert context.elapsed_ms() >= 0 and context.to_otel_context()["workflow.id"] == "wf-1"
    child = context.create_child_context()
    assert child.correlation_id == context.correlation_id == child.causation_id and child.trace_id == "t" * 32
    assert Tag("b").name == "tag-b" and Enrich().name == "enrich"


async def test_original_sequential_and_parallel_of_keywords() -> None:
    sequential = SequentialPrimitive([Tag("a"), Tag("b")])
    assert await sequential.execute({}, OriginalContext()) == {"a": True, "b": True}
    parallel = ParallelPrimitive([Tag("a"), Tag("b")])
    assert await parallel.execute({}, OriginalContext()) == [{"a": True}, {"b": True}]


async def test_original_retry_strategy_retries_any_exception_on_its_schedule() -> None:
    flaky = MockPrimitive("flaky", side_effect=[ValueError("no"), RuntimeError("again"), "ok"])
    clock = FakeClock()
    workflow = RetryPrimitive(flaky, strategy=RetryStrategy(max_retries=2, backoff_base=2.0, jitter=False), clock=clock)
    assert await workflow.execute("x", OriginalContext()) == "ok"
    assert flaky.call_count == 3 and clock.sleeps == [1.0, 2.0]
    assert RetryStrategy(jitter=False).calculate_delay(3) == 8.0


async def test_original_timeout_spelling_and_error() -> None:
    clock = FakeClock()

    async def slow(x: int) -> int:
        await clock.sleep(10.0)
        return x

    workflow = TimeoutPrimitive(node(slow), timeout_seconds=0.02, clock=clock)
    with pytest.raises(OriginalTimeoutError, match=r"^Execution exceeded 0.02s timeout$") as caught:
        await workflow.execute(1, OriginalContext())
    assert isinstance(caught.value, TimeoutError)  # the builtin too
    with_fallback = TimeoutPrimitive(node(slow), 1.0, fallback=node(lambda x: -x), clock=clock)
    assert await with_fallback.execute(1, OriginalContext()) == -1


async def test_original_cache_primitive_keys_on_input_and_context() -> None:
    backend = MockPrimitive("llm", side_effect=lambda data, ctx: f"answer for {data['prompt']}")
    cache = CachePrimitive(backend, cache_key_fn=lambda data, ctx: f"{data['prompt']}:{ctx.player_id}", ttl_seconds=60)
    context = OriginalContext(player_id="p")
    assert await cache.execute({"prompt": "hi"}, context) == "answer for hi"
    assert await cache.execute({"prompt": "hi"}, context) == "answer for hi"
    assert backend.call_count == 1
    stats = cache.get_stats()
    assert stats["hits"] == 1 and stats["misses"] == 1 and cache.get_hit_rate() == 50.0
    cache.clear_cache()
    assert cache.get_stats()["size"] == 0 and cache.evict_expired() == 0


async def test_original_mock_assertions() -> None:
    mock = MockPrimitive("m", {"r": 1})
    context = OriginalContext()
    assert await mock.execute("x", context) == {"r": 1}
    mock.assert_called()
    mock.assert_called_once()
    mock.assert_called_with("x", context=context)
    assert mock.call_args_list == [("x", context)]
    mock.reset()
    mock.assert_not_called()


def test_original_module_paths_import() -> None:
    import importlib

    for module in (
        "core", "core.base", "core.sequential", "core.parallel", "core.conditional", "core.routing",
        "recovery", "recovery.retry", "recovery.fallback", "recovery.timeout", "recovery.compensation", "recovery.circuit_breaker",
        "performance", "performance.cache", "testing", "testing.mocks", "observability", "observability.instrumented_primitive",
        "observability.logging", "observability.metrics", "observability.tracing",
    ):
        imported = importlib.import_module(f"tta_dev_primitives.{module}")
        for name in getattr(imported, "__all__", ()):
            assert hasattr(imported, name), f"{module}.{name}"


class IntTotal(OriginalPrimitive[list[int], int]):
    async def execute(self, input_data: list[int], context: OriginalContext) -> int:
        return sum(input_data)


class Inc(OriginalPrimitive[int, int]):
    async def execute(self, input_data: int, context: OriginalContext) -> int:
        return input_data + 1


async def test_mocks_and_parallels_feed_typed_steps() -> None:
    assert await (MockPrimitive("llm", 41) >> Inc()).execute(None, OriginalContext()) == 42
    assert await ((Inc() | Inc() | Inc()) >> IntTotal()).execute(1, OriginalContext()) == 6
    assert await SequentialPrimitive(primitives=[ParallelPrimitive(primitives=[Inc(), Inc()]), IntTotal()]).execute(1, OriginalContext()) == 4
    first, second = Inc(), Inc()
    chain = first >> second
    assert chain.primitives == [first, second] and len(SequentialPrimitive([Inc()]).primitives) == 1


async def test_mock_attributes_are_the_originals() -> None:
    mock = MockPrimitive("llm", "first")
    mock.return_value = "second"
    assert await mock.execute("x", OriginalContext()) == "second" and mock.return_value == "second"
    mock.side_effect = ValueError("down")
    with pytest.raises(ValueError, match="down"):
        await mock.execute("x", OriginalContext())
    assert mock.raise_error is None


async def test_original_routing_callables_and_breaker_settings() -> None:
    from tta_dev_primitives.core.conditional import ConditionalPrimitive
    from tta_dev_primitives.core.routing import RouterPrimitive
    from tta_dev_primitives.recovery.circuit_breaker import CircuitBreaker, CircuitOpenError

    router = RouterPrimitive({"a": Inc(), "b": Double()}, lambda data, c: "b" if data > 2 else "a", "a")
    assert await router.execute(5, OriginalContext()) == 10 and await router.execute(1, OriginalContext()) == 2
    conditional = ConditionalPrimitive(lambda data, wctx: data > 0, Inc())
    assert await conditional.execute(1, OriginalContext()) == 2 and await conditional.execute(-1, OriginalContext()) == -1

    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=30.0, expected_exception=ValueError)
    failing = MockPrimitive("flaky", side_effect=ValueError("no"))
    guarded = compile(failing.guard(breaker))
    for _ in range(2):
        with pytest.raises(ValueError):
            await guarded.run(1)
    with pytest.raises(CircuitOpenError):
        await guarded.run(1)
    assert failing.call_count == 2


async def test_original_saga_spelling_runs_forward_then_compensation() -> None:
    from tta_dev_primitives.recovery.compensation import SagaPrimitive

    assert await SagaPrimitive(Inc(), Double()).execute(1, OriginalContext()) == 2
    undone = MockPrimitive("undo", None)
    with pytest.raises(ValueError, match="down"):
        await SagaPrimitive(forward=MockPrimitive("do", side_effect=ValueError("down")), compensation=undone).execute(1, OriginalContext())
    undone.assert_called_once()


async def test_a_retry_strategy_with_a_base_below_one_waits_less_each_time_as_in_the_original() -> None:
    from tta_dev_primitives.recovery.retry import RetryPrimitive, RetryStrategy
    from tta_dev_primitives.testing.mocks import MockPrimitive

    strategy = RetryStrategy(max_retries=3, backoff_base=0.001, jitter=False)
    assert [strategy.calculate_delay(n) for n in range(3)] == [1.0, 0.001, 0.001**2]
    clock = FakeClock()
    flaky = MockPrimitive("flaky", side_effect=[ValueError("1"), ValueError("2"), "ok"])
    assert await RetryPrimitive(flaky, strategy=strategy, clock=clock).execute("x", WorkflowContext()) == "ok"
    assert clock.sleeps == [1.0, 0.001]
