"""Retry: forms, backoff, transient-only default, retry_after, deadline, budget, hooks."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tta_dev_primitives import ConfigError, Hook, NodeInfo, RunContext, compile, node
from tta_dev_primitives.stdlib.recovery import Retry, RetryBudget, RetryPrimitive, TransientError
from tta_dev_primitives.stdlib.testing import FakeClock, mock_node

pytestmark = pytest.mark.anyio


class Flaky:
    """Fails `failures` times with `error`, then returns the input."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self, x: int) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return x


async def test_retries_transient_errors_with_backoff_on_the_fake_clock() -> None:
    clock = FakeClock()
    flaky = Flaky(2, ConnectionError("reset"))
    plan = compile(node(flaky).retry(max_attempts=3, initial_delay=1.0, backoff_factor=2.0, jitter=False, clock=clock))
    assert await plan.run(7) == 7
    assert flaky.calls == 3
    assert clock.sleeps == [1.0, 2.0] and clock.now() == 3.0


async def test_gives_up_after_max_attempts_and_re_raises_the_error_with_a_note() -> None:
    clock = FakeClock()
    flaky = Flaky(5, TimeoutError("slow"))
    plan = compile(Retry(max_attempts=3, clock=clock)(node(flaky, name="fetch")))
    with pytest.raises(TimeoutError) as info:
        await plan.run(1)
    assert flaky.calls == 3
    assert any("gave up after 3 attempt(s): max_attempts=3 reached" in n for n in info.value.__notes__)


async def test_non_transient_errors_are_not_retried_by_default() -> None:
    flaky = Flaky(1, ValueError("bad input"))
    plan = compile(node(flaky).retry(clock=FakeClock()))
    with pytest.raises(ValueError) as info:
        await plan.run(1)
    assert flaky.calls == 1
    assert any("ValueError is not retryable" in n for n in info.value.__notes__)


async def test_retry_on_types_and_predicates() -> None:
    by_type = Flaky(2, KeyError("k"))
    assert await compile(node(by_type).retry(retry_on=(KeyError,), clock=FakeClock())).run(3) == 3
    by_predicate = Flaky(1, RuntimeError("429"))
    plan = compile(node(by_predicate).retry(retry_on=lambda e: "429" in str(e), clock=FakeClock()))
    assert await plan.run(4) == 4 and by_predicate.calls == 2


async def test_retry_after_hint_is_honoured_and_capped() -> None:
    clock = FakeClock()
    flaky = Flaky(2, TransientError("rate limited", retry_after=30.0))
    plan = compile(node(flaky).retry(initial_delay=0.01, max_delay=5.0, clock=clock))
    await plan.run(1)
    assert clock.sleeps == [5.0, 5.0]
    bound = Retry(initial_delay=0.01, max_delay=5.0).latency(0.0)
    assert bound == 2 * 5.0 and sum(clock.sleeps) <= bound  # the worst-case latency counts the hinted waits
    hinted = Flaky(1, TransientError("soon", retry_after=0.5))
    clock2 = FakeClock()
    await compile(node(hinted).retry(initial_delay=0.01, jitter=False, clock=clock2)).run(1)
    assert clock2.sleeps == [0.5]


async def test_deadline_stops_retrying_before_it_is_passed() -> None:
    clock = FakeClock()
    flaky = Flaky(10, ConnectionError())
    plan = compile(node(flaky).retry(max_attempts=10, initial_delay=1.0, jitter=False, deadline=5.0, clock=clock))
    with pytest.raises(ConnectionError) as info:
        await plan.run(1)
    assert clock.sleeps == [1.0, 2.0] and clock.now() == 3.0  # a 4s wait would end at 7s > 5s
    assert any("would pass the retry deadline of 5s" in n for n in info.value.__notes__)


async def test_shared_budget_stops_retry_storms() -> None:
    budget = RetryBudget(max_tokens=4, token_ratio=0.5)
    clock = FakeClock()
    always = Flaky(100, ConnectionError())
    plan = compile(node(always).retry(max_attempts=10, budget=budget, clock=clock))
    with pytest.raises(ConnectionError) as info:
        await plan.run(1)
    assert always.calls == 2  # tokens 4 -> 3 (retry) -> 2 (not above half: stop)
    assert any("retry budget is exhausted" in n for n in info.value.__notes__)
    budget.record_success()
    budget.record_success()
    assert budget.tokens == 3.0 and budget.allow_retry()


async def test_decorator_form_keeps_the_signature_and_retries() -> None:
    clock = FakeClock()
    calls = 0

    @Retry(max_attempts=3, backoff_factor=2.0, clock=clock)
    async def flaky_api_call(a: int, *, b: int = 1) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("flaky")
        return a + b

    assert await flaky_api_call(1, b=2) == 3
    assert calls == 3 and flaky_api_call.__name__ == "flaky_api_call"


async def test_wrapper_primitive_form() -> None:
    flaky = Flaky(1, ConnectionError())
    prim = RetryPrimitive(node(flaky), max_attempts=2, clock=FakeClock())
    assert await compile(prim).run(5) == 5
    assert "retry" in compile(prim).explain()


async def test_on_retry_hook_gets_attempt_and_delay() -> None:
    seen: list[tuple[str, int, float, str]] = []

    class Watch(Hook):
        def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
            seen.append((node.name, attempt, delay, type(error).__name__))

    flaky = Flaky(2, ConnectionError())
    plan = compile(node(flaky, name="call").retry(initial_delay=1, jitter=False, clock=FakeClock())).with_hooks(Watch())
    await plan.run(1)
    assert seen == [("retry(call)", 1, 1.0, "ConnectionError"), ("retry(call)", 2, 2.0, "ConnectionError")]


async def test_mock_node_side_effects_drive_retries() -> None:
    mock = mock_node(int, str, side_effect=[ConnectionError(), ConnectionError(), "ok"], name="api")
    assert await compile(mock.retry(clock=FakeClock())).run(1) == "ok"
    assert mock.call_count == 3 and mock.calls == [1, 1, 1]


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_attempts", 0), ("max_attempts", -1), ("initial_delay", -1.0), ("backoff_factor", 0), ("max_delay", 0), ("deadline", 0), ("retry_on", ())],
)
def test_bad_settings_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"Retry: invalid {field}=") as info:
        Retry(**{field: value})  # type: ignore[arg-type]
    assert info.value.field == field


@settings(max_examples=200, deadline=None)
@given(
    attempt=st.integers(min_value=1, max_value=60),
    initial=st.floats(min_value=0.0, max_value=5.0),
    factor=st.floats(min_value=1.0, max_value=10.0),
    cap=st.floats(min_value=0.001, max_value=100.0),
    seed=st.integers(),
)
def test_delay_is_within_the_jitter_range_and_never_above_the_cap(attempt: int, initial: float, factor: float, cap: float, seed: int) -> None:
    policy = Retry(initial_delay=initial, backoff_factor=factor, max_delay=cap, rng=random.Random(seed))
    backoff = policy.backoff(attempt)
    assert backoff == min(cap, initial * factor ** (attempt - 1)) or backoff == cap
    delay = policy.delay_for(attempt)
    assert 0.0 <= delay <= backoff <= cap
    assert Retry(initial_delay=initial, backoff_factor=factor, max_delay=cap, jitter=False).delay_for(attempt) == backoff


@settings(max_examples=100, deadline=None)
@given(
    deadline=st.floats(min_value=0.01, max_value=50.0),
    initial=st.floats(min_value=0.0, max_value=10.0),
    attempts=st.integers(min_value=1, max_value=30),
    seed=st.integers(),
)
def test_total_wait_never_exceeds_the_deadline(deadline: float, initial: float, attempts: int, seed: int) -> None:
    clock = FakeClock()
    always = Flaky(1000, ConnectionError())
    plan = compile(
        node(always).retry(max_attempts=attempts, initial_delay=initial, deadline=deadline, clock=clock, rng=random.Random(seed))
    )
    with pytest.raises(ConnectionError):
        plan.run_sync(1)
    assert clock.now() <= deadline
    assert always.calls <= attempts


def test_node_retry_takes_exactly_the_settings_of_retry() -> None:
    import inspect

    from tta_dev_primitives import Node

    fluent = list(inspect.signature(Node.retry).parameters)[1:]
    policy = list(inspect.signature(Retry.__init__).parameters)[1:]
    assert fluent == policy
