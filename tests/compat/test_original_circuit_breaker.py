"""The original `recovery.circuit_breaker`: error classification, RetryConfig and its delays, the
retry decorators, and a CircuitBreaker with a synchronous `call` and "CLOSED"/"OPEN"/"HALF_OPEN"
states; times and waits through a Clock (FakeClock here)."""

from __future__ import annotations

import pytest

from tta_dev_primitives import ConfigError, compile, node
from tta_dev_primitives.recovery import (
    CircuitBreaker,
    CircuitOpenError,
    ErrorCategory,
    ErrorSeverity,
    RetryConfig,
    calculate_delay,
    classify_error,
    should_retry,
    with_retry,
    with_retry_async,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("error", "category", "severity"),
    [
        (ConnectionError("refused"), ErrorCategory.NETWORK, ErrorSeverity.MEDIUM),
        (RuntimeError("request timeout"), ErrorCategory.NETWORK, ErrorSeverity.MEDIUM),
        (TimeoutError(), ErrorCategory.NETWORK, ErrorSeverity.MEDIUM),  # by its type name
        (RuntimeError("HTTP 429 Too Many Requests"), ErrorCategory.RATE_LIMIT, ErrorSeverity.MEDIUM),
        (MemoryError(), ErrorCategory.RESOURCE, ErrorSeverity.HIGH),
        (OSError("no space left on device"), ErrorCategory.RESOURCE, ErrorSeverity.HIGH),
        (RuntimeError("503 Service Unavailable"), ErrorCategory.TRANSIENT, ErrorSeverity.MEDIUM),
        (ValueError("bad input"), ErrorCategory.PERMANENT, ErrorSeverity.HIGH),
    ],
)
def test_classify_error_as_the_original(error: Exception, category: ErrorCategory, severity: ErrorSeverity) -> None:
    assert classify_error(error) == (category, severity)


def test_should_retry_only_recoverable_errors_with_retries_left() -> None:
    assert should_retry(ConnectionError("x"), 0, 3)
    assert not should_retry(ConnectionError("x"), 3, 3)
    assert not should_retry(ValueError("bad"), 0, 3)
    assert not should_retry(MemoryError(), 0, 3)


def test_calculate_delay_grows_exponentially_up_to_max_delay() -> None:
    config = RetryConfig(base_delay=0.5, exponential_base=3.0, max_delay=10.0, jitter=False)
    assert [calculate_delay(n, config) for n in range(4)] == [0.5, 1.5, 4.5, 10.0]
    jittered = [calculate_delay(1, RetryConfig(base_delay=1.0)) for _ in range(50)]
    assert all(1.0 <= d <= 3.0 for d in jittered) and len(set(jittered)) > 1


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"max_retries": -1}, "max_retries"), ({"base_delay": 0}, "base_delay"), ({"max_delay": 0.5}, "max_delay"), ({"exponential_base": 1}, "exponential_base")],
)
def test_retry_config_is_checked(settings: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError, match=f"RetryConfig: invalid {field}="):
        RetryConfig(**settings)  # type: ignore[arg-type]


def test_with_retry_retries_recoverable_errors_then_uses_the_fallback() -> None:
    waits: list[float] = []
    calls: list[int] = []

    @with_retry(RetryConfig(max_retries=2, jitter=False), fallback=lambda n: -n, sleep=waits.append)
    def fetch(n: int) -> int:
        calls.append(n)
        raise ConnectionError("refused")

    assert fetch(4) == -4
    assert calls == [4, 4, 4] and waits == [1.0, 2.0]
    assert fetch.__name__ == "fetch"


def test_with_retry_gives_up_at_once_on_a_permanent_error() -> None:
    waits: list[float] = []

    @with_retry(RetryConfig(max_retries=5), sleep=waits.append)
    def parse(text: str) -> int:
        raise ValueError(f"not a number: {text}")

    with pytest.raises(ValueError, match="not a number: x"):
        parse("x")
    assert waits == []


def test_with_retry_returns_the_first_success() -> None:
    outcomes: list[object] = [RuntimeError("503"), 7]

    @with_retry(RetryConfig(jitter=False), sleep=lambda seconds: None)
    def flaky() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert flaky() == 7


async def test_with_retry_async_waits_with_the_clock() -> None:
    clock = FakeClock()
    calls = 0

    @with_retry_async(RetryConfig(max_retries=3, jitter=False), clock=clock)
    async def fetch() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError("rate limit exceeded")
        return "ok"

    assert await fetch() == "ok" and clock.sleeps == [1.0, 2.0]

    async def cached() -> str:
        return "cached"

    @with_retry_async(RetryConfig(max_retries=1, jitter=False), fallback=cached, clock=clock)
    async def down() -> str:
        raise ConnectionError("down")

    assert await down() == "cached"


def test_breaker_opens_after_threshold_failures_in_a_row() -> None:
    clock = FakeClock(1000.0)
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=30.0, clock=clock)
    assert (breaker.state, breaker.failure_count, breaker.last_failure_time) == ("CLOSED", 0, None)

    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        breaker.call(fail)
    def add(a: int, b: int = 0) -> int:
        return a + b

    assert breaker.call(add, 1, b=2) == 3  # a success resets the count
    assert (breaker.failure_count, breaker.state) == (0, "CLOSED")
    for _ in range(2):
        with pytest.raises(ValueError):
            breaker.call(fail)
    assert (breaker.failure_count, breaker.state, breaker.last_failure_time) == (2, "OPEN", 1000.0)
    called: list[int] = []
    with pytest.raises(CircuitOpenError, match=r"^Circuit breaker is OPEN \(failures: 2\)$") as caught:
        breaker.call(called.append, 1)
    assert called == [] and isinstance(caught.value, Exception)


def test_breaker_half_opens_after_the_recovery_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=10.0, clock=clock)

    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        breaker.call(fail)
    clock.advance(9.0)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    clock.advance(1.0)
    with pytest.raises(ValueError):
        breaker.call(fail)  # the trial fails: open again
    assert breaker.state == "OPEN" and breaker.failure_count == 2
    clock.advance(10.0)
    states: list[str] = []

    def probe() -> str:
        states.append(breaker.state)
        return "ok"

    assert breaker.call(probe) == "ok"
    assert states == ["HALF_OPEN"] and breaker.state == "CLOSED" and breaker.failure_count == 0


def test_only_the_expected_exception_counts() -> None:
    breaker = CircuitBreaker(failure_threshold=1, expected_exception=ConnectionError, clock=FakeClock())

    def bad_input() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError):
        breaker.call(bad_input)
    assert breaker.state == "CLOSED" and breaker.failure_count == 0
    with pytest.raises(ConfigError, match="invalid expected_exception"):
        CircuitBreaker(expected_exception="ValueError")  # type: ignore[arg-type]


async def test_the_breaker_also_guards_our_nodes() -> None:
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=30.0, expected_exception=ValueError, clock=FakeClock())
    calls: list[int] = []

    @node
    async def flaky(x: int) -> int:
        calls.append(x)
        raise ValueError("no")

    plan = compile(flaky.guard(breaker))
    for _ in range(2):
        with pytest.raises(ValueError):
            await plan.run(1)
    with pytest.raises(CircuitOpenError, match=r"failures: 2"):
        await plan.run(1)
    assert calls == [1, 1] and breaker.state == "OPEN"
