"""CircuitBreaker: resilience4j semantics, shared registry, hooks, and a model-based property test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tta_dev_primitives import CircuitBreaker, CircuitOpenError, ConfigError, Hook, NodeInfo, RunContext, compile, node
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


class Dependency:
    def __init__(self) -> None:
        self.fail = False
        self.calls = 0

    async def __call__(self, x: int) -> int:
        self.calls += 1
        if self.fail:
            raise ConnectionError("down")
        return x


async def test_opens_after_failure_rate_then_half_opens_and_closes(fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker("dep", window_size=4, minimum_calls=4, failure_rate_threshold=0.5, wait_in_open=10, permitted_calls_in_half_open=2, clock=fake_clock)
    dep = Dependency()
    plan = compile(node(dep).guard(breaker))
    for i in range(2):
        await plan.run(i)
    dep.fail = True
    for i in range(2):
        with pytest.raises(ConnectionError):
            await plan.run(i)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError) as info:
        await plan.run(9)
    assert info.value.retry_after == 10 and dep.calls == 4  # failed fast, no call made
    fake_clock.advance(10)
    dep.fail = False
    await plan.run(1)
    assert breaker.state == "half_open"
    await plan.run(2)
    assert breaker.state == "closed" and breaker.metrics["calls"] == 0


async def test_half_open_trial_failure_reopens(fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker("dep", window_size=2, minimum_calls=2, wait_in_open=5, permitted_calls_in_half_open=1, clock=fake_clock)
    dep = Dependency()
    dep.fail = True
    plan = compile(breaker(node(dep)))
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await plan.run(0)
    fake_clock.advance(5)
    with pytest.raises(ConnectionError):
        await plan.run(0)
    assert breaker.state == "open"


async def test_slow_calls_open_the_circuit() -> None:
    clock = FakeClock()

    async def slow(x: int) -> int:
        await clock.sleep(3)
        return x

    breaker = CircuitBreaker("slow", minimum_calls=2, slow_call_duration=2.0, slow_call_rate_threshold=0.5, clock=clock)
    plan = compile(node(slow).guard(breaker))
    await plan.run(1)
    await plan.run(1)
    assert breaker.state == "open"


async def test_time_window_forgets_old_failures(fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker("t", window="time", window_size=10, minimum_calls=3, failure_rate_threshold=0.6, clock=fake_clock)
    for failed in (True, True):
        breaker.record(failed, 0.0)
    fake_clock.advance(11)
    breaker.record(True, 0.0)
    breaker.record(False, 0.0)
    breaker.record(False, 0.0)
    assert breaker.state == "closed"  # the two old failures fell out of the 10s window


async def test_ignored_errors_do_not_count(fake_clock: FakeClock) -> None:
    breaker = CircuitBreaker("i", minimum_calls=1, ignore_exceptions=(KeyError,), clock=fake_clock)

    async def bad_key(x: int) -> int:
        raise KeyError(x)

    plan = compile(node(bad_key).guard(breaker))
    for _ in range(3):
        with pytest.raises(KeyError):
            await plan.run(1)
    assert breaker.state == "closed" and breaker.metrics["calls"] == 0


async def test_shared_registry_and_state_hook(fake_clock: FakeClock) -> None:
    CircuitBreaker.clear_registry()
    transitions: list[tuple[str, str]] = []

    class Watch(Hook):
        def on_circuit_state(self, node: NodeInfo, ctx: RunContext | None, old: str, new: str) -> None:
            transitions.append((old, new))

    first = CircuitBreaker.shared("payments", minimum_calls=1, wait_in_open=1, permitted_calls_in_half_open=1, clock=fake_clock)
    assert CircuitBreaker.shared("payments") is first
    dep = Dependency()
    dep.fail = True
    a = compile(node(dep).guard(first)).with_hooks(Watch())
    b = compile(node(dep).guard(CircuitBreaker.shared("payments"))).with_hooks(Watch())
    with pytest.raises(ConnectionError):
        await a.run(1)
    with pytest.raises(CircuitOpenError):
        await b.run(1)  # the other plan shares the open circuit
    fake_clock.advance(1)
    dep.fail = False
    await b.run(1)
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    CircuitBreaker.clear_registry()


@pytest.mark.parametrize(
    ("field", "value"),
    [("failure_rate_threshold", 1.5), ("failure_rate_threshold", 0), ("slow_call_rate_threshold", -0.1), ("minimum_calls", 0), ("wait_in_open", 0), ("window", "sliding"), ("window_size", 0)],
)
def test_bad_settings_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"CircuitBreaker\\('x'\\): invalid {field}="):
        CircuitBreaker("x", **{field: value})  # type: ignore[arg-type]


# -- model-based property test ---------------------------------------------------------------

Event = tuple[str, float]  # ("ok" | "fail" | "slow" | "wait", seconds)


class Model:
    """A direct restatement of the rules, recomputed from the history, to compare against."""

    def __init__(self, size: int, minimum: int, threshold: float, wait: float, permitted: int) -> None:
        self.size, self.minimum, self.threshold, self.wait, self.permitted = size, minimum, threshold, wait, permitted
        self.state = "closed"
        self.window: list[bool] = []
        self.opened = 0.0
        self.trial: list[bool] = []
        self.now = 0.0

    def call(self, failed: bool) -> str:
        if self.state == "open":
            if self.now - self.opened < self.wait:
                return "rejected"
            self.state, self.trial = "half_open", []
        if self.state == "half_open":
            self.trial.append(failed)
            if len(self.trial) == self.permitted:
                if sum(self.trial) / len(self.trial) >= self.threshold:
                    self.state, self.opened = "open", self.now
                else:
                    self.state, self.window = "closed", []
            return "called"
        self.window = (self.window + [failed])[-self.size :]
        if len(self.window) >= self.minimum and sum(self.window) / len(self.window) >= self.threshold:
            self.state, self.opened = "open", self.now
        return "called"


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 6),
    minimum=st.integers(1, 6),
    threshold=st.sampled_from([0.25, 0.5, 0.75, 1.0]),
    wait=st.sampled_from([1.0, 5.0]),
    permitted=st.integers(1, 3),
    events=st.lists(st.tuples(st.sampled_from(["ok", "fail", "wait"]), st.sampled_from([0.5, 1.0, 5.0])), max_size=40),
)
def test_breaker_matches_the_model(size: int, minimum: int, threshold: float, wait: float, permitted: int, events: list[Event]) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("m", window_size=size, minimum_calls=minimum, failure_rate_threshold=threshold, wait_in_open=wait, permitted_calls_in_half_open=permitted, clock=clock)
    model = Model(size, minimum, threshold, wait, permitted)
    for kind, seconds in events:
        if kind == "wait":
            clock.advance(seconds)
            model.now += seconds
            continue
        expected = model.call(kind == "fail")
        try:
            breaker.acquire()
        except CircuitOpenError as error:
            assert expected == "rejected"
            assert 0 <= error.retry_after <= wait
        else:
            assert expected == "called"
            breaker.record(kind == "fail", 0.0)
        assert breaker.state == model.state


def test_a_shared_breaker_refuses_different_settings() -> None:
    CircuitBreaker.clear_registry()
    try:
        first = CircuitBreaker.shared("payments", minimum_calls=5, wait_in_open=10)
        assert CircuitBreaker.shared("payments") is first
        assert CircuitBreaker.shared("payments", minimum_calls=5, wait_in_open=10) is first
        with pytest.raises(ConfigError, match="minimum_calls") as raised:
            CircuitBreaker.shared("payments", minimum_calls=50, wait_in_open=10)
        assert "payments" in str(raised.value)
    finally:
        CircuitBreaker.clear_registry()
