"""Hedge: if an attempt is slow (or fails), start another; the first success wins.

Attempt 1 starts at once; each further attempt starts `delay` seconds after the previous one,
or as soon as the previous one fails. The first successful result is returned and the other
attempts are cancelled; if every attempt fails, HedgeError holds all their errors (a stray
CancelledError, see executor._concurrency.failure_of, fails its attempt only). Use it only
on idempotent nodes: several attempts may run at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from ...errors import HedgeError
from ...executor._concurrency import bare_fatal_errors, failure_of
from ...executor._journaling import resume_point
from ...executor._streaming import discard
from .._clock import SYSTEM_CLOCK, Clock
from .._guard import GuardPolicy, GuardSite
from ..._validate import check_int, check_non_negative

__all__ = ["Hedge", "HedgeError"]


class Hedge(GuardPolicy):
    """Hedged requests: up to `max_attempts` overlapping attempts, `delay` seconds apart."""

    kind = "hedge"

    def __init__(self, delay: float, *, max_attempts: int = 2, clock: Clock = SYSTEM_CLOCK) -> None:
        self.delay = check_non_negative("Hedge", "delay", delay)
        self.max_attempts = check_int("Hedge", "max_attempts", max_attempts, minimum=2)
        self.clock = clock

    def describe(self) -> dict[str, object]:
        return {"delay": self.delay, "max_attempts": self.max_attempts}

    def max_runs(self) -> int:
        return self.max_attempts

    def max_concurrent_runs(self) -> int:
        return self.max_attempts

    def latency(self, child: float) -> float:
        """The last attempt starts after every delay and runs at its worst."""
        return child + self.delay * (self.max_attempts - 1)

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        delay, attempts, cancel_after, name = self.delay, self.max_attempts, self.clock.cancel_after, site.info.name
        numbered = site.numbered(call)

        async def hedged(x: object) -> object:
            winner: list[object] = []
            errors: list[tuple[int, Exception]] = []
            with bare_fatal_errors():
                async with anyio.create_task_group() as tg:
                    first = 0 if numbered is None else max(0, resume_point(site.info.node_id))  # resumed: the latest attempt first
                    for index in range(first, attempts):
                        finished = anyio.Event()

                        async def attempt(index: int = index, finished: anyio.Event = finished) -> None:
                            try:
                                value = await (call(x) if numbered is None else numbered(index, x))
                            except BaseException as exc:
                                # a stray CancelledError fails this attempt only: raised, it would
                                # cancel the hedge's task group and lose the other attempts
                                what = f"hedged attempt {index + 1} of {name!r}"
                                error = failure_of(exc, what)
                                if error is None:
                                    raise  # the attempts are cancelled (a winner, or the run is), or KeyboardInterrupt
                                error.add_note(what)
                                errors.append((index, error))
                            else:
                                if not winner:
                                    winner.append(value)
                                    tg.cancel_scope.cancel()
                                else:
                                    await discard(value)  # a late winner: an opened stream is closed now
                            finally:
                                finished.set()

                        tg.start_soon(attempt)
                        if index + 1 < attempts:
                            with cancel_after(delay):
                                await finished.wait()
            if winner:
                return winner[0]
            ordered = [error for _, error in sorted(errors, key=lambda pair: pair[0])]
            raise HedgeError(f"all {attempts} hedged attempts of {name!r} failed", ordered)

        return hedged
