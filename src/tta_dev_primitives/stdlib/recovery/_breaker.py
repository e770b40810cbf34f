"""CircuitBreaker with resilience4j semantics, shared per dependency.

CLOSED: calls go through; outcomes fill a sliding window (the last `window_size` calls, or the
calls of the last `window_size` seconds). Once the window holds `minimum_calls`, a failure rate
or slow-call rate at or above its threshold opens the circuit.
OPEN: calls fail fast with CircuitOpenError (its `retry_after` says when to come back) until
`wait_in_open` seconds have passed; the next call moves the breaker to HALF_OPEN.
HALF_OPEN: `permitted_calls_in_half_open` trial calls go through (others fail fast); when they
have all finished, the breaker closes if their failure and slow rates are under the thresholds,
else opens again.

One breaker object is one dependency: wrap every node that calls it with the same breaker, or
get it by name from `CircuitBreaker.shared("payments", ...)`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import ClassVar, Literal, TypedDict, TypeVar

from typing_extensions import Unpack

from ...errors import ConfigError
from .._clock import SYSTEM_CLOCK, Clock
from .._guard import GuardPolicy, GuardSite
from ..._validate import check_fraction, check_int, check_positive
from .errors import CircuitOpenError

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "BreakerSettings", "CircuitBreaker", "State"]

A = TypeVar("A")
T = TypeVar("T")

State = Literal["closed", "open", "half_open"]
CLOSED: State = "closed"
OPEN: State = "open"
HALF_OPEN: State = "half_open"


class BreakerSettings(TypedDict, total=False):
    """The keyword settings of CircuitBreaker (for `CircuitBreaker.shared`)."""

    window: Literal["count", "time"]
    window_size: float
    minimum_calls: int
    failure_rate_threshold: float
    slow_call_rate_threshold: float
    slow_call_duration: float
    wait_in_open: float
    permitted_calls_in_half_open: int
    record_exceptions: tuple[type[BaseException], ...]
    ignore_exceptions: tuple[type[BaseException], ...]
    clock: Clock


class CircuitBreaker(GuardPolicy):
    """A circuit breaker; call it on a node (`breaker(node)`) or use `node.with_breaker(breaker)`."""

    kind = "circuit_breaker"
    wants_fallback_outside = True
    _registry: ClassVar[dict[str, tuple[CircuitBreaker, BreakerSettings]]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        name: str = "circuit",
        *,
        window: Literal["count", "time"] = "count",
        window_size: float = 100,
        minimum_calls: int = 10,
        failure_rate_threshold: float = 0.5,
        slow_call_rate_threshold: float = 1.0,
        slow_call_duration: float = 60.0,
        wait_in_open: float = 60.0,
        permitted_calls_in_half_open: int = 10,
        record_exceptions: tuple[type[BaseException], ...] = (Exception,),
        ignore_exceptions: tuple[type[BaseException], ...] = (),
        clock: Clock = SYSTEM_CLOCK,
        failure_threshold: int | None = None,
        recovery_timeout: float | None = None,
        expected_exception: type[BaseException] | None = None,
    ) -> None:
        """`failure_threshold`, `recovery_timeout` and `expected_exception` are the original
        package's settings: open after that many failures in a row (a count window of that
        size, all failed), try again after `recovery_timeout` seconds with one call, count only
        `expected_exception`s."""
        owner = f"CircuitBreaker({name!r})"
        if failure_threshold is not None:
            window, window_size = "count", check_int(owner, "failure_threshold", failure_threshold, minimum=1)
            minimum_calls, failure_rate_threshold, permitted_calls_in_half_open = window_size, 1.0, 1
        if recovery_timeout is not None:
            wait_in_open = recovery_timeout
        if expected_exception is not None:
            record_exceptions = (expected_exception,)
        if window not in ("count", "time"):
            raise ConfigError(owner, "window", "'count' or 'time'", window)
        self.name = name
        self.window = window
        self.window_size = (
            check_int(owner, "window_size", window_size, minimum=1) if window == "count" else check_positive(owner, "window_size", window_size)
        )
        self.minimum_calls = check_int(owner, "minimum_calls", minimum_calls, minimum=1)
        self.failure_rate_threshold = _threshold(owner, "failure_rate_threshold", failure_rate_threshold)
        self.slow_call_rate_threshold = _threshold(owner, "slow_call_rate_threshold", slow_call_rate_threshold)
        self.slow_call_duration = check_positive(owner, "slow_call_duration", slow_call_duration)
        self.wait_in_open = check_positive(owner, "wait_in_open", wait_in_open)
        self.permitted_calls_in_half_open = check_int(owner, "permitted_calls_in_half_open", permitted_calls_in_half_open, minimum=1)
        self.record_exceptions = record_exceptions
        self.ignore_exceptions = ignore_exceptions
        self.clock = clock
        self.state: State = CLOSED
        self._calls: deque[tuple[float, bool, bool]] = deque()  # (time, failed, slow)
        self._failures = 0  # running counts over _calls, so recording a call is O(1)
        self._slow = 0
        self._opened_at = 0.0
        self._half_open_started = 0
        self._half_open_results: list[tuple[bool, bool]] = []
        self._lock = threading.Lock()

    # -- registry ---------------------------------------------------------------------------

    @classmethod
    def shared(cls, name: str, **settings: Unpack[BreakerSettings]) -> CircuitBreaker:
        """The process-wide breaker for dependency `name`, created with `settings` on first use.

        Later calls may omit the settings or repeat them; different settings raise ConfigError
        (two parts of a program would otherwise disagree silently about one breaker).
        """
        with cls._registry_lock:
            entry = cls._registry.get(name)
            if entry is None:
                breaker = cls(name, **settings)
                cls._registry[name] = (breaker, settings)
                return breaker
            breaker, first = entry
            if settings and settings != first:
                changed = sorted(k for k in {*settings, *first} if settings.get(k) != first.get(k))
                given: object = settings.get(changed[0]) if len(changed) == 1 else {k: settings.get(k) for k in changed}
                was = {k: first.get(k) for k in changed}
                raise ConfigError(
                    f"CircuitBreaker.shared({name!r})",
                    ", ".join(changed),
                    f"what it was created with ({', '.join(f'{k}={v!r}' for k, v in was.items())}), or no settings",
                    given,
                )
            return breaker

    @classmethod
    def clear_registry(cls) -> None:
        """Forget every shared breaker (for tests)."""
        with cls._registry_lock:
            cls._registry.clear()

    # -- state machine ------------------------------------------------------------------------

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "window": f"{self.window}:{self.window_size:g}",
            "minimum_calls": self.minimum_calls,
            "failure_rate_threshold": self.failure_rate_threshold,
            "slow_call_rate_threshold": self.slow_call_rate_threshold,
            "wait_in_open": self.wait_in_open,
        }

    def _transition(self, new: State, changes: list[tuple[State, State]]) -> None:
        old = self.state
        if old == new:
            return
        changes.append((old, new))
        self.state = new
        if new == OPEN:
            self._opened_at = self.clock.now()
        if new == HALF_OPEN:
            self._half_open_started = 0
            self._half_open_results = []
        if new == CLOSED:
            self._calls.clear()
            self._failures = self._slow = 0

    @staticmethod
    def _announce(changes: list[tuple[State, State]], site: GuardSite | None) -> None:
        """Tell the hooks about state changes, after the lock is released (hooks may be slow)."""
        if site is not None:
            for old, new in changes:
                site.emit("on_circuit_state", old, new)

    def acquire(self, site: GuardSite | None = None) -> None:
        """Permit a call or raise CircuitOpenError (moves OPEN to HALF_OPEN when the wait is over)."""
        changes: list[tuple[State, State]] = []
        try:
            with self._lock:
                if self.state == OPEN:
                    waited = self.clock.now() - self._opened_at
                    if waited < self.wait_in_open:
                        raise CircuitOpenError(self.name, self.wait_in_open - waited)
                    self._transition(HALF_OPEN, changes)
                if self.state == HALF_OPEN:
                    if self._half_open_started >= self.permitted_calls_in_half_open:
                        raise CircuitOpenError(self.name, 0.0)
                    self._half_open_started += 1
        finally:
            self._announce(changes, site)

    def release(self) -> None:
        """A permitted call ended without an outcome to record (ignored error or cancellation)."""
        with self._lock:
            if self.state == HALF_OPEN and self._half_open_started > len(self._half_open_results):
                self._half_open_started -= 1

    def record(self, failed: bool, duration: float, site: GuardSite | None = None) -> None:
        """Record a finished call and move the state machine."""
        slow = duration >= self.slow_call_duration
        changes: list[tuple[State, State]] = []
        with self._lock:
            if self.state == HALF_OPEN:
                self._half_open_results.append((failed, slow))
                if len(self._half_open_results) >= self.permitted_calls_in_half_open:
                    failure, slowness = _rates(self._half_open_results)
                    self._transition(OPEN if self._tripped(failure, slowness) else CLOSED, changes)
            elif self.state == CLOSED:  # (when OPEN: a call admitted before the circuit opened)
                now = self.clock.now()
                self._calls.append((now, failed, slow))
                self._failures += failed
                self._slow += slow
                self._prune(now)
                total = len(self._calls)
                if total >= self.minimum_calls and self._tripped(self._failures / total, self._slow / total):
                    self._transition(OPEN, changes)
        self._announce(changes, site)

    def _tripped(self, failure_rate: float, slow_rate: float) -> bool:
        return failure_rate >= self.failure_rate_threshold or slow_rate >= self.slow_call_rate_threshold

    def _prune(self, now: float) -> None:
        calls = self._calls
        if self.window == "count":
            while len(calls) > self.window_size:
                self._forget(calls.popleft())
        else:
            while calls and calls[0][0] <= now - self.window_size:
                self._forget(calls.popleft())

    def _forget(self, call: tuple[float, bool, bool]) -> None:
        self._failures -= call[1]
        self._slow -= call[2]

    @property
    def metrics(self) -> dict[str, float]:
        """Calls in the window and their failure and slow-call rates."""
        with self._lock:
            total = len(self._calls)
            return {
                "calls": float(total),
                "failure_rate": self._failures / total if total else 0.0,
                "slow_call_rate": self._slow / total if total else 0.0,
            }

    # -- guard -------------------------------------------------------------------------------

    async def call(
        self,
        operation: Callable[[A], Awaitable[T]],
        argument: A,
        site: GuardSite | None = None,
        *,
        ignore: tuple[type[BaseException], ...] = (),
    ) -> T:
        """`await operation(argument)` through the breaker: CircuitOpenError while open, else the
        outcome is recorded (errors in `ignore`, in `ignore_exceptions` or outside
        `record_exceptions` are neither failures nor successes)."""
        self.acquire(site)
        now = self.clock.now
        start = now()
        try:
            result = await operation(argument)
        except BaseException as error:
            if isinstance(error, ignore) or isinstance(error, self.ignore_exceptions) or not isinstance(error, self.record_exceptions):
                self.release()
            else:
                self.record(True, now() - start, site)
            raise
        self.record(False, now() - start, site)
        return result

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        through = self.call
        return lambda x: through(call, x, site)

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state})"


def _threshold(owner: str, field: str, value: object) -> float:
    rate = check_fraction(owner, field, value)
    if rate == 0.0:
        raise ConfigError(owner, field, "a rate in (0, 1] (0 would open the circuit on any call)", value)
    return rate


def _rates(outcomes: list[tuple[bool, bool]]) -> tuple[float, float]:
    if not outcomes:
        return 0.0, 0.0
    total = len(outcomes)
    return sum(1 for f, _ in outcomes if f) / total, sum(1 for _, s in outcomes if s) / total
