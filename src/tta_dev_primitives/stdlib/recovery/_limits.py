"""Bulkhead (concurrency limit) and RateLimiter (token bucket): guards shared per dependency."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

from ...executor._emit import OpenFn
from ...executor._streaming import close_quietly

from ...executor._wakeup import ThreadSafeEvent
from .._clock import SYSTEM_CLOCK, Clock
from .._guard import GuardPolicy, GuardSite
from ..._validate import check_bool, check_int, check_positive
from .errors import BulkheadFullError, RateLimitedError

__all__ = ["Bulkhead", "RateLimiter"]


class Bulkhead(GuardPolicy):
    """At most `max_concurrent` calls at once; up to `max_queue` more wait (None: no bound).

    A call arriving when the queue is full fails fast with BulkheadFullError. Share one Bulkhead
    between the nodes that use the same dependency, also across threads that each run their own
    event loop (`run_sync` in a thread pool): its state sits behind a lock and a freed slot wakes
    its waiter in the waiter's own loop.
    """

    kind = "bulkhead"

    def __init__(self, max_concurrent: int, *, max_queue: int | None = None, name: str = "bulkhead") -> None:
        self.name = name
        self.max_concurrent = check_int(f"Bulkhead({name!r})", "max_concurrent", max_concurrent, minimum=1)
        self.max_queue = None if max_queue is None else check_int(f"Bulkhead({name!r})", "max_queue", max_queue, minimum=0)
        self.active = 0
        self._waiters: deque[ThreadSafeEvent] = deque()
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {"max_concurrent": self.max_concurrent, "max_queue": self.max_queue}

    def latency(self, child: float) -> float:
        """Unbounded: a call may wait in the queue for as long as the calls ahead of it run."""
        return math.inf

    async def _enter(self) -> None:
        with self._lock:
            if self.active < self.max_concurrent and not self._waiters:
                self.active += 1
                return
            if self.max_queue is not None and len(self._waiters) >= self.max_queue:
                raise BulkheadFullError(
                    f"bulkhead {self.name!r} is full ({self.active} running, {len(self._waiters)} waiting)"
                )
            turn = ThreadSafeEvent()
            self._waiters.append(turn)
        try:
            await turn.wait()  # the leaving call hands its slot over (active stays counted)
        except BaseException:
            with self._lock:
                handed_over = turn.is_set()  # set only under this lock, so this cannot race
                if not handed_over:
                    self._waiters.remove(turn)
            if handed_over:
                self._leave()  # got the slot while being cancelled: pass it on
            raise

    def _leave(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self.active -= 1

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        async def limited(x: object) -> object:
            await self._enter()
            try:
                return await call(x)
            finally:
                self._leave()

        return limited

    def wrap_stream(self, open_: OpenFn, site: GuardSite) -> OpenFn:
        """A stream holds its slot until its last chunk (or until it is closed)."""

        async def limited(x: object) -> AsyncIterator[object]:
            await self._enter()
            try:
                iterator = open_(x)
                try:
                    async for chunk in iterator:
                        yield chunk
                finally:
                    await close_quietly(iterator)
            finally:
                self._leave()

        return limited


class RateLimiter(GuardPolicy):
    """A token bucket: `rate` calls per second on average, bursts of up to `burst`.

    With `wait=True` (default) a call waits for its token (callers are served in arrival order);
    with `wait=False` it fails fast with RateLimitedError carrying `retry_after`. A waiter that is
    cancelled gives its reserved token back. Safe to share across threads.
    """

    kind = "rate_limit"

    def __init__(self, rate: float, *, burst: int = 1, wait: bool = True, clock: Clock = SYSTEM_CLOCK, name: str = "rate_limit") -> None:
        owner = f"RateLimiter({name!r})"
        self.name = name
        self.rate = check_positive(owner, "rate", rate)
        self.burst = check_int(owner, "burst", burst, minimum=1)
        self.wait = check_bool(owner, "wait", wait)
        self.clock = clock
        self._tokens = float(self.burst)
        self._updated = clock.now()
        self._lock = threading.Lock()

    def describe(self) -> dict[str, object]:
        return {"rate": self.rate, "burst": self.burst, "wait": self.wait}

    def latency(self, child: float) -> float:
        """Unbounded: a call waits for its token behind every caller that came before it."""
        return math.inf

    @property
    def tokens(self) -> float:
        """Tokens available now (negative while callers wait for reserved tokens)."""
        with self._lock:
            self._refill()
            return self._tokens

    def _refill(self) -> None:
        now = self.clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def reserve(self) -> float:
        """Take a token now and return how long to wait before using it (0 when available)."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            delay = (1.0 - self._tokens) / self.rate
            if not self.wait:
                raise RateLimitedError(self.name, delay)
            self._tokens -= 1.0  # a reservation: later callers queue behind it
            return delay

    def refund(self) -> None:
        """Give back a token reserved by a caller that will not use it (it was cancelled)."""
        with self._lock:
            self._refill()
            self._tokens = min(float(self.burst), self._tokens + 1.0)

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        sleep = self.clock.sleep

        async def limited(x: object) -> object:
            delay = self.reserve()
            if delay > 0:
                try:
                    await sleep(delay)
                except BaseException:
                    self.refund()
                    raise
            return await call(x)

        return limited
