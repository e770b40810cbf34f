"""Retry: full-jitter exponential backoff, transient-only by default, with deadline and budget.

One policy object serves three forms:

    @Retry(max_attempts=3, backoff_factor=2.0)      # decorator on an async function
    async def flaky_api_call() -> str: ...

    Retry(max_attempts=3)(fetch)                     # wrapper around a node
    fetch.retry(max_attempts=3)                      # fluent form

Attempt n (1-based) that fails waits `uniform(0, min(max_delay, initial_delay * backoff_factor
** (n - 1)))` (full jitter, AWS style) before the next, or at least a `retry_after` hint the error
carries (capped at `max_delay`). It never sleeps past `deadline` (total seconds from the first
attempt), and a shared RetryBudget stops retry storms. After the last attempt the error is
re-raised unchanged, with a note saying why retrying stopped.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ...dsl._core import Node
from ...errors import StreamInterruptedError
from ...executor._streaming import chunks_sent
from ...executor._journaling import resume_point
from .._clock import SYSTEM_CLOCK, Clock
from .._guard import GuardNode, GuardPolicy, GuardSite
from ..._validate import check_bool, check_int, check_non_negative, check_optional_positive, check_positive
from ._budget import RetryBudget
from .errors import TransientError

__all__ = ["DEFAULT_TRANSIENT", "Retry", "RetryPrimitive", "RetryStrategy", "is_transient"]

A = TypeVar("A")
B = TypeVar("B")

DEFAULT_TRANSIENT: tuple[type[BaseException], ...] = (TransientError, TimeoutError, ConnectionError)
"""Errors retried by default: ours marked transient, timeouts and connection failures."""

RetryOn = tuple[type[BaseException], ...] | Callable[[BaseException], bool]


def is_transient(error: BaseException) -> bool:
    """The default retry predicate: a DEFAULT_TRANSIENT error, any error with `retry_after`, or
    a durable run's record of a transient error (`RecordedError.replays_transient`)."""
    return (
        isinstance(error, DEFAULT_TRANSIENT)
        or isinstance(getattr(error, "retry_after", None), (int, float))
        or getattr(error, "replays_transient", False) is True
    )


class Retry(GuardPolicy):
    """A retry policy, usable as a decorator, a wrapper and through `Node.retry`."""

    kind = "retry"
    retries = True
    wants_fallback_outside = True

    def __init__(
        self,
        *,
        max_attempts: int = 3,
        initial_delay: float = 0.1,
        backoff_factor: float = 2.0,
        max_delay: float = 10.0,
        jitter: bool = True,
        deadline: float | None = None,
        retry_on: RetryOn | None = None,
        budget: RetryBudget | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.max_attempts = check_int("Retry", "max_attempts", max_attempts, minimum=1)
        self.initial_delay = check_non_negative("Retry", "initial_delay", initial_delay)
        self.backoff_factor = check_positive("Retry", "backoff_factor", backoff_factor)  # below 1: waits shrink (the original's RetryStrategy allowed it)
        self.max_delay = check_positive("Retry", "max_delay", max_delay)
        self.jitter = check_bool("Retry", "jitter", jitter)
        self.deadline = check_optional_positive("Retry", "deadline", deadline)
        self._retryable = _predicate(retry_on)
        self.retry_on = retry_on
        self.budget = budget
        self.clock = clock
        self.rng = rng or random.Random()

    def describe(self) -> dict[str, object]:
        return {
            "max_attempts": self.max_attempts,
            "initial_delay": self.initial_delay,
            "backoff_factor": self.backoff_factor,
            "max_delay": self.max_delay,
            "jitter": self.jitter,
            **({"deadline": self.deadline} if self.deadline is not None else {}),
        }

    def max_runs(self) -> int:
        return self.max_attempts

    def latency(self, child: float) -> float:
        """Every attempt at its worst, plus the longest wait between them: `max_delay` each, as
        far as an error's `retry_after` hint may raise a wait (jitter only shortens the
        backoff); at most the deadline plus one last attempt."""
        attempts = self.max_attempts
        total = child * attempts + self.max_delay * (attempts - 1)
        return min(total, self.deadline + child) if self.deadline is not None else total

    def repeats(self) -> bool:
        """True, even with max_attempts=1: the lint's advice is about retrying the node at all."""
        return True

    def retryable(self, error: BaseException) -> bool:
        """Whether this policy retries `error`."""
        return self._retryable(error)

    def backoff(self, attempt: int) -> float:
        """The un-jittered delay after failed attempt `attempt` (1-based), capped at max_delay."""
        exponent = min(attempt - 1, 1024)
        try:
            raw = self.initial_delay * self.backoff_factor**exponent
        except OverflowError:
            raw = self.max_delay
        return min(self.max_delay, raw)

    def delay_for(self, attempt: int, error: BaseException | None = None) -> float:
        """The wait after failed attempt `attempt`: full jitter over the backoff, raised to the
        error's `retry_after` hint (itself capped at max_delay)."""
        cap = self.backoff(attempt)
        delay = self.rng.uniform(0.0, cap) if self.jitter else cap
        hint = getattr(error, "retry_after", None)
        if isinstance(hint, (int, float)) and not isinstance(hint, bool) and hint > 0:
            delay = max(delay, min(float(hint), self.max_delay))
        return delay

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        max_attempts, clock, budget, deadline = self.max_attempts, self.clock, self.budget, self.deadline
        retryable, delay_for, name = self._retryable, self.delay_for, site.info.name
        numbered = site.numbered(call)

        async def retrying(x: object) -> object:
            start = clock.now() if deadline is not None else 0.0
            attempt = 1 if numbered is None else max(1, resume_point(site.info.node_id))  # resumed: where it had got to
            while True:
                sent = chunks_sent()
                try:
                    result = await (call(x) if numbered is None else numbered(attempt, x))
                except Exception as error:
                    if budget is not None:
                        budget.record_failure()
                    stop = _why_stop(error, attempt, max_attempts, retryable, budget)
                    if chunks_sent() != sent:
                        stop = "this attempt already streamed chunks to the consumer; another would send them again"
                    delay = 0.0
                    if stop is None:
                        delay = delay_for(attempt, error)
                        if deadline is not None and clock.now() + delay - start > deadline:
                            stop = f"waiting {delay:.3g}s more would pass the retry deadline of {deadline:g}s"
                    if stop is not None:
                        error.add_note(f"retry {name!r}: gave up after {attempt} attempt(s): {stop}")
                        raise
                    site.emit("on_retry", attempt, delay, error)
                    await clock.sleep(delay)
                    attempt += 1
                else:
                    if budget is not None:
                        budget.record_success()
                    return result

        return retrying

    def __repr__(self) -> str:
        return f"Retry({', '.join(f'{k}={v!r}' for k, v in self.describe().items())})"


def _why_stop(
    error: BaseException,
    attempt: int,
    max_attempts: int,
    retryable: Callable[[BaseException], bool],
    budget: RetryBudget | None,
) -> str | None:
    if isinstance(error, StreamInterruptedError):
        return "the stream had already produced chunks"
    if not retryable(error):
        return f"{type(error).__name__} is not retryable"
    if attempt >= max_attempts:
        return f"max_attempts={max_attempts} reached"
    if budget is not None and not budget.allow_retry():
        return "the shared retry budget is exhausted"
    return None


def _predicate(setting: RetryOn | None) -> Callable[[BaseException], bool]:
    retry_on: object = setting  # checked at runtime for callers without a type checker
    if retry_on is None:
        return is_transient
    if isinstance(retry_on, tuple):
        if not retry_on or not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_on):
            from ...errors import ConfigError

            raise ConfigError("Retry", "retry_on", "a non-empty tuple of exception types or a predicate", retry_on)
        types_ = retry_on
        return lambda error: isinstance(error, types_)
    if callable(retry_on):
        return retry_on
    from ...errors import ConfigError

    raise ConfigError("Retry", "retry_on", "a tuple of exception types or a predicate", retry_on)


class RetryStrategy:
    """The original package's retry settings: `max_retries` retries after the first attempt,
    waiting `min(backoff_base ** n, max_backoff)` seconds before retry n+1 (times 0.5-1.5 with
    `jitter`), on any Exception. `RetryPrimitive(node, strategy=...)` runs it as a `Retry`."""

    __slots__ = ("backoff_base", "jitter", "max_backoff", "max_retries")

    def __init__(self, max_retries: int = 3, backoff_base: float = 2.0, max_backoff: float = 60.0, jitter: bool = True) -> None:
        self.max_retries = check_int("RetryStrategy", "max_retries", max_retries, minimum=0)
        self.backoff_base = check_positive("RetryStrategy", "backoff_base", backoff_base)
        self.max_backoff = check_non_negative("RetryStrategy", "max_backoff", max_backoff)
        self.jitter = check_bool("RetryStrategy", "jitter", jitter)

    def calculate_delay(self, attempt: int) -> float:
        """The wait before retry `attempt + 1` (0-based), as the original computed it."""
        delay = min(self.backoff_base**attempt, self.max_backoff)
        return delay * (0.5 + random.random()) if self.jitter else delay

    def as_retry(self, *, clock: Clock = SYSTEM_CLOCK) -> Retry:
        """The same schedule as a Retry policy (first wait 1 s, then times `backoff_base`)."""
        return Retry(
            max_attempts=self.max_retries + 1,
            initial_delay=min(1.0, self.max_backoff),
            backoff_factor=self.backoff_base,
            max_delay=self.max_backoff,
            jitter=self.jitter,
            retry_on=(Exception,),
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"RetryStrategy(max_retries={self.max_retries}, backoff_base={self.backoff_base:g}, max_backoff={self.max_backoff:g}, jitter={self.jitter})"


class RetryPrimitive(GuardNode[A, B]):
    """The wrapper form: `RetryPrimitive(node, max_attempts=3, ...)` (same settings as Retry),
    or the original package's `RetryPrimitive(primitive, strategy=RetryStrategy(...))` (which
    takes a `clock=` too)."""

    def __init__(self, primitive: Node[A, B], strategy: RetryStrategy | None = None, *, name: str | None = None, **settings: object) -> None:
        if strategy is not None:
            clock = settings.pop("clock", SYSTEM_CLOCK)
            if settings:
                from ...errors import ConfigError

                raise ConfigError("RetryPrimitive", "strategy", "either strategy= or Retry settings, not both", sorted(settings))
            given: object = strategy  # untyped callers pass anything
            if not isinstance(given, RetryStrategy):
                from ...errors import ConfigError

                raise ConfigError("RetryPrimitive", "strategy", "a RetryStrategy", given)
            policy = given.as_retry(clock=clock)  # type: ignore[arg-type]
        else:
            policy = Retry(**settings)  # type: ignore[arg-type]
        super().__init__(primitive, policy, name=name)
