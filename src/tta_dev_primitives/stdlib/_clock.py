"""Time for the timing primitives (retry backoff, timeouts, breakers, rate limits, caches).

Every timing primitive takes a `clock=`; tests pass a FakeClock (stdlib.testing) so backoff,
TTL and breaker timing run instantly and deterministically, with no real sleeps.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["SYSTEM_CLOCK", "WALL_CLOCK", "Clock", "SystemClock", "WallClock"]


@runtime_checkable
class Clock(Protocol):
    """A monotonic time source that can also wait."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences are meaningful)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a cancellation point)."""
        ...

    def cancel_after(self, seconds: float) -> anyio.CancelScope:
        """A cancel scope that this clock cancels `seconds` from now (for timeouts)."""
        ...


class SystemClock(Clock):
    """Real time: `time.monotonic()` and `anyio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    def cancel_after(self, seconds: float) -> anyio.CancelScope:
        return anyio.move_on_after(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class WallClock(SystemClock):
    """Wall-clock seconds (`time.time()`): persistent cache stores need expiry times that
    survive restarts; waiting and timeouts are the system clock's."""

    def now(self) -> float:
        """Seconds since the epoch (`time.time()`)."""
        return time.time()

    def __repr__(self) -> str:
        return "WallClock()"


WALL_CLOCK = WallClock()
