"""FakeClock: deterministic time for tests of backoff, timeouts, breakers, rate limits and TTLs."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import anyio
import anyio.lowlevel

from .._clock import Clock

__all__ = ["FakeClock"]


class FakeClock(Clock):
    """A Clock whose time moves only when told to.

    With `auto_advance=True` (the default) every `sleep(s)` jumps time forward by `s` at once, so
    retry backoff costs nothing; `sleeps` records every requested delay. With
    `auto_advance=False`, sleepers and timeouts wait until the test calls `advance()`.
    """

    def __init__(self, start: float = 0.0, *, auto_advance: bool = True) -> None:
        self._now = float(start)
        self.auto_advance = auto_advance
        self.sleeps: list[float] = []
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.auto_advance:
            self.advance(seconds)
            await anyio.lowlevel.checkpoint()
            return
        woken = anyio.Event()
        self._schedule(self._now + seconds, woken.set)
        await woken.wait()

    def cancel_after(self, seconds: float) -> anyio.CancelScope:
        scope = anyio.CancelScope()
        self._schedule(self._now + seconds, scope.cancel)
        return scope

    def advance(self, seconds: float) -> None:
        """Move time forward, waking sleepers and expiring timeouts that fall due, in order."""
        if seconds < 0:
            raise ValueError(f"FakeClock.advance: cannot go back in time ({seconds})")
        target = self._now + seconds
        while self._due and self._due[0][0] <= target:
            when, _, callback = heapq.heappop(self._due)
            self._now = max(self._now, when)
            callback()
        self._now = target

    def _schedule(self, when: float, callback: Callable[[], object]) -> None:
        heapq.heappush(self._due, (when, next(self._order), callback))

    @property
    def pending(self) -> int:
        """How many sleepers and timeouts are waiting for time to pass."""
        return len(self._due)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now:g}, pending={len(self._due)})"
