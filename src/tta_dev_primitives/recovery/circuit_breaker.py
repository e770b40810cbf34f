"""The original `recovery.circuit_breaker`: error classification, retry decorators for plain
functions, and a circuit breaker with a synchronous `call(func, *args, **kwargs)`.

- `classify_error(error)` -> (ErrorCategory, ErrorSeverity), from words in the error's message
  and type name; `should_retry` retries network, rate-limit and transient errors only.
- `RetryConfig` + `calculate_delay(attempt, config)`: `base_delay * exponential_base ** attempt`,
  capped at `max_delay`, times 0.5-1.5 with `jitter`.
- `with_retry(config, fallback)` / `with_retry_async(...)`: decorators that retry what
  `should_retry` allows, then call `fallback(*args, **kwargs)` or re-raise the last error.
- `CircuitBreaker(failure_threshold=5, recovery_timeout=60.0, expected_exception=Exception)`:
  opens after `failure_threshold` failures in a row, lets a call through again after
  `recovery_timeout` seconds (HALF_OPEN), closes on a success. `state` is "CLOSED", "OPEN" or
  "HALF_OPEN". Rejected calls raise CircuitOpenError (an Exception, as the original's plain
  Exception was) with the original's message `Circuit breaker is OPEN (failures: N)`.

The breaker's state machine is our stdlib CircuitBreaker's (a count window of
`failure_threshold` calls, all failed, opens it; one trial call in HALF_OPEN); it is also a guard
policy of ours, so `node.guard(breaker)` works. Waits and times go through a Clock (`clock=`;
`last_failure_time` is the clock's `now()`, epoch seconds with the default wall clock, as in the
original). The async decorator waits with the Clock; the sync one with `sleep=` (time.sleep).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any, ParamSpec, TypeVar

from ..errors import CircuitOpenError, ConfigError
from ..observability._logging import get_logger
from ..stdlib._clock import SYSTEM_CLOCK, WALL_CLOCK, Clock
from ..stdlib._guard import GuardPolicy, GuardSite
from ..stdlib.recovery._breaker import CircuitBreaker as _Machine

__all__ = [
    "CircuitBreaker", "CircuitOpenError", "ErrorCategory", "ErrorSeverity", "RetryConfig", "calculate_delay", "classify_error",
    "should_retry", "with_retry", "with_retry_async",
]

logger = get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class ErrorCategory(Enum):
    """What kind of failure an error is (see `classify_error`)."""

    NETWORK = "network"
    RATE_LIMIT = "rate_limit"
    RESOURCE = "resource"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class ErrorSeverity(Enum):
    """How serious an error is (see `classify_error`)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass
class RetryConfig:
    """Settings of `with_retry`, `with_retry_async` and `calculate_delay` (checked on creation)."""

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    exponential_base: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigError("RetryConfig", "max_retries", "a non-negative number of retries", self.max_retries)
        if self.base_delay <= 0:
            raise ConfigError("RetryConfig", "base_delay", "a positive number of seconds", self.base_delay)
        if self.max_delay < self.base_delay:
            raise ConfigError("RetryConfig", "max_delay", f"at least base_delay ({self.base_delay})", self.max_delay)
        if self.exponential_base <= 1:
            raise ConfigError("RetryConfig", "exponential_base", "a number above 1", self.exponential_base)


_NETWORK = ("connection", "timeout", "network", "unreachable", "connectionerror", "timeouterror")
_RATE_LIMIT = ("rate limit", "too many requests", "429", "quota")
_RESOURCE = ("memory", "disk", "resource", "out of memory", "no space")
_TRANSIENT = ("temporary", "unavailable", "503", "502", "504")


def classify_error(error: BaseException) -> tuple[ErrorCategory, ErrorSeverity]:
    """The error's category and severity, from its message and type name (lower-cased), checked
    in the original's order: network, rate limit, resource, transient, else permanent."""
    text, name = str(error).lower(), type(error).__name__.lower()
    if any(word in text or word in name for word in _NETWORK):
        return ErrorCategory.NETWORK, ErrorSeverity.MEDIUM
    if any(word in text for word in _RATE_LIMIT):
        return ErrorCategory.RATE_LIMIT, ErrorSeverity.MEDIUM
    if any(word in text or word in name for word in _RESOURCE):
        return ErrorCategory.RESOURCE, ErrorSeverity.HIGH
    if any(word in text for word in _TRANSIENT):
        return ErrorCategory.TRANSIENT, ErrorSeverity.MEDIUM
    return ErrorCategory.PERMANENT, ErrorSeverity.HIGH


def should_retry(error: BaseException, attempt: int, max_retries: int) -> bool:
    """Whether attempt `attempt` (0-based) may be followed by another: retries left and a
    network, rate-limit or transient error."""
    if attempt >= max_retries:
        return False
    category, _ = classify_error(error)
    return category in (ErrorCategory.NETWORK, ErrorCategory.RATE_LIMIT, ErrorCategory.TRANSIENT)


def calculate_delay(attempt: int, config: RetryConfig) -> float:
    """Seconds to wait after failed attempt `attempt` (0-based)."""
    delay = min(config.base_delay * config.exponential_base**attempt, config.max_delay)
    return delay * (0.5 + random.random()) if config.jitter else delay


def _gave_up(name: str, error: Exception) -> None:
    category, severity = classify_error(error)
    logger.error(
        f"{name} failed permanently: {error} (category={category.value}, severity={severity.value})",
        function=name, category=category.value, severity=severity.value,
    )


def _retrying(name: str, error: Exception, attempt: int, config: RetryConfig, delay: float) -> None:
    category, severity = classify_error(error)
    logger.warning(
        f"{name} failed (attempt {attempt + 1}/{config.max_retries + 1}): {error}. "
        f"Category: {category.value}, Severity: {severity.value}. Retrying in {delay:.1f}s...",
        function=name, attempt=attempt + 1, category=category.value, severity=severity.value, delay=delay,
    )


def with_retry(
    config: RetryConfig | None = None, fallback: Callable[..., R] | None = None, *, sleep: Callable[[float], None] = time.sleep
) -> Callable[[Callable[P, T]], Callable[P, T | R]]:
    """Decorate a function to retry what `should_retry` allows (waiting `calculate_delay` with
    `sleep`), then return `fallback(*args, **kwargs)` if given, else re-raise the last error."""
    settings = RetryConfig() if config is None else config

    def decorator(func: Callable[P, T]) -> Callable[P, T | R]:
        name = getattr(func, "__name__", "function")

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T | R:
            attempt = 0
            while True:
                try:
                    return func(*args, **kwargs)
                except Exception as error:
                    if not should_retry(error, attempt, settings.max_retries):
                        _gave_up(name, error)
                        if fallback is None:
                            raise
                        break
                    delay = calculate_delay(attempt, settings)
                    _retrying(name, error, attempt, settings, delay)
                    sleep(delay)
                    attempt += 1
            logger.info(f"{name} using fallback after {settings.max_retries} retries", function=name)
            return fallback(*args, **kwargs)

        return wrapper

    return decorator


def with_retry_async(
    config: RetryConfig | None = None, fallback: Callable[..., Awaitable[R]] | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Coroutine[Any, Any, T | R]]]:
    """`with_retry` for async functions (and an async `fallback`); waits with `clock`."""
    settings = RetryConfig() if config is None else config

    def decorator(func: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T | R]]:
        name = getattr(func, "__name__", "function")

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T | R:
            attempt = 0
            while True:
                try:
                    return await func(*args, **kwargs)
                except Exception as error:
                    if not should_retry(error, attempt, settings.max_retries):
                        _gave_up(name, error)
                        if fallback is None:
                            raise
                        break
                    delay = calculate_delay(attempt, settings)
                    _retrying(name, error, attempt, settings, delay)
                    await clock.sleep(delay)
                    attempt += 1
            logger.info(f"{name} using fallback after {settings.max_retries} retries", function=name)
            return await fallback(*args, **kwargs)

        return wrapper

    return decorator


_NAMES = {"closed": "CLOSED", "open": "OPEN", "half_open": "HALF_OPEN"}


class CircuitBreaker(GuardPolicy):
    """The original's breaker: `call(func, *args, **kwargs)` runs `func` unless the circuit is
    open. Also a guard of ours: `node.guard(breaker)`, `breaker(async_function)`."""

    kind = "circuit_breaker"
    wants_fallback_outside = True

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 60.0,
        expected_exception: type[Exception] = Exception,
        *,
        name: str = "circuit",
        clock: Clock = WALL_CLOCK,
    ) -> None:
        given: object = expected_exception
        if not (isinstance(given, type) and issubclass(given, BaseException)):
            raise ConfigError(f"CircuitBreaker({name!r})", "expected_exception", "an exception class", given)
        self._machine = _Machine(
            name, failure_threshold=failure_threshold, recovery_timeout=recovery_timeout, expected_exception=expected_exception, clock=clock
        )
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.expected_exception = expected_exception
        self.clock = clock
        self.failure_count = 0
        """Failures since the last success (the original's count)."""
        self.last_failure_time: float | None = None
        """The clock's `now()` at the last failure, None before any."""

    @property
    def name(self) -> str:
        """The breaker's name in errors, EXPLAIN and telemetry."""
        return self._machine.name

    @property
    def state(self) -> str:
        """"CLOSED", "OPEN" or "HALF_OPEN"."""
        return _NAMES[self._machine.state]

    def call(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`func(*args, **kwargs)` through the breaker; CircuitOpenError while it is open."""
        started = self._admit(None)
        try:
            result = func(*args, **kwargs)
        except BaseException as error:
            self._failed(error, started, None)
            raise
        self._succeeded(started, None)
        return result

    def _admit(self, site: GuardSite | None) -> float:
        try:
            self._machine.acquire(site)
        except CircuitOpenError as error:
            error.args = (f"Circuit breaker is OPEN (failures: {self.failure_count})",)
            raise
        return self.clock.now()

    def _failed(self, error: BaseException, started: float, site: GuardSite | None) -> None:
        if not isinstance(error, self.expected_exception):
            self._machine.release()  # not a failure the breaker counts, as in the original
            return
        now = self.clock.now()
        self.failure_count += 1
        self.last_failure_time = now
        was_open = self._machine.state == "open"
        self._machine.record(True, now - started, site)
        if self._machine.state == "open" and not was_open:
            logger.warning(f"Circuit breaker opened after {self.failure_count} failures", breaker=self.name, failures=self.failure_count)

    def _succeeded(self, started: float, site: GuardSite | None) -> None:
        self.failure_count = 0
        self._machine.record(False, self.clock.now() - started, site)

    # -- our guard protocol ------------------------------------------------------------------

    def describe(self) -> dict[str, object]:
        return self._machine.describe()

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        async def guarded(x: object) -> object:
            started = self._admit(site)
            try:
                result = await call(x)
            except BaseException as error:
                self._failed(error, started, site)
                raise
            self._succeeded(started, site)
            return result

        return guarded

    def __repr__(self) -> str:
        return f"CircuitBreaker(failure_threshold={self.failure_threshold}, recovery_timeout={self.recovery_timeout:g}, state={self.state!r})"
