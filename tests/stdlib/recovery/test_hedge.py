"""Hedge: a second attempt after the delay and the first success wins, every error when all fail;
an attempt's stray CancelledError fails that attempt only; a cancelled hedge stays a
cancellation (HedgeError is never built empty); a custom BaseException escapes bare."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
import pytest

from tta_dev_primitives import Hedge, HedgeError, StrayCancellationError, compile, node, streaming
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


async def test_hedge_starts_a_second_attempt_and_the_first_success_wins() -> None:
    clock = FakeClock(auto_advance=False)
    calls = 0
    slow_cancelled = anyio.Event()

    async def backend(x: int) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            try:
                await anyio.Event().wait()
            finally:
                slow_cancelled.set()
        return f"attempt {calls}"

    plan = compile(node(backend).guard(Hedge(delay=0.2, clock=clock)))
    result: list[object] = []

    async def run() -> None:
        result.append(await plan.run(1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await anyio.wait_all_tasks_blocked()
        assert calls == 1
        clock.advance(0.2)
    assert result == ["attempt 2"] and slow_cancelled.is_set()


async def test_hedge_raises_every_error_when_all_attempts_fail() -> None:
    async def down(x: int) -> int:
        raise ConnectionError("down")

    with pytest.raises(HedgeError) as info:
        await compile(node(down).guard(Hedge(delay=0.0, max_attempts=3))).run(1)
    assert len(info.value.exceptions) == 3


def asyncio_only(anyio_backend: str) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("a CancelledError raised without a cancellation is an asyncio thing")


async def stray() -> int:
    """Await a future someone else gave up on: CancelledError, though nobody cancelled us."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.cancel()
    return await future


async def test_a_stray_cancellation_fails_its_attempt_and_the_next_one_wins(anyio_backend: str) -> None:
    asyncio_only(anyio_backend)
    calls: list[int] = []

    async def fetch(x: int) -> int:
        calls.append(x)
        if len(calls) == 1:
            return await stray()
        await anyio.wait_all_tasks_blocked()  # a real call awaits: a lost attempt is lost here
        return x * 10

    # a long delay: the second attempt starts because the first failed, not because it was slow
    plan = compile(node(fetch).declare(idempotent=True).guard(Hedge(100.0, max_attempts=2)))
    with anyio.fail_after(5):
        assert await plan.run(4) == 40  # ValueError: "exceptions must be a non-empty sequence" before
    assert calls == [4, 4]


async def test_when_every_attempt_is_a_stray_cancellation_hedge_error_holds_them(anyio_backend: str) -> None:
    asyncio_only(anyio_backend)

    async def fetch(x: int) -> int:
        return await stray()

    plan = compile(node(fetch).guard(Hedge(0.0, max_attempts=3)))
    with pytest.raises(HedgeError, match="all 3 hedged attempts") as info:
        await plan.run(1)
    errors = info.value.exceptions
    assert len(errors) == 3 and all(isinstance(e, StrayCancellationError) for e in errors)
    assert all(isinstance(e.__cause__, asyncio.CancelledError) for e in errors)
    assert [n for e in errors for n in e.__notes__ if n.startswith("hedged attempt")] == [
        f"hedged attempt {i} of 'hedge(fetch)'" for i in (1, 2, 3)
    ]


async def test_a_stray_cancellation_opening_a_hedged_stream_fails_that_attempt_only(anyio_backend: str) -> None:
    asyncio_only(anyio_backend)
    opened: list[int] = []

    @streaming
    async def answer(prompt: str) -> AsyncIterator[str]:
        opened.append(1)
        if len(opened) == 1:
            await stray()
        await anyio.wait_all_tasks_blocked()
        yield "a"
        yield "b"

    plan = compile(answer.guard(Hedge(100.0, max_attempts=2)))
    with anyio.fail_after(5):
        async with plan.stream("q") as chunks:
            assert [c async for c in chunks] == ["a", "b"]
    assert len(opened) == 2


@pytest.mark.parametrize("delay", [0.0, 100.0])  # all attempts running / the hedge waiting to start one
async def test_cancelling_a_hedge_is_a_cancellation_not_an_empty_hedge_error(anyio_backend: str, delay: float) -> None:
    started = 0

    async def hang(x: int) -> int:
        nonlocal started
        started += 1
        await anyio.Event().wait()
        return x

    plan = compile(node(hang).guard(Hedge(delay, max_attempts=2)))
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(plan.run, 1)
            await anyio.wait_all_tasks_blocked()
            scope.cancel()
    assert scope.cancelled_caught and started == (2 if delay == 0.0 else 1)
    if anyio_backend == "asyncio":  # a native cancel, as asyncio.timeout or a TaskGroup sends
        task = asyncio.ensure_future(plan.run(1))
        await anyio.wait_all_tasks_blocked()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


class Abort(BaseException):
    """Neither an Exception nor KeyboardInterrupt/SystemExit."""


async def test_a_custom_base_exception_from_an_attempt_escapes_bare() -> None:
    async def fetch(x: int) -> int:
        raise Abort()

    with pytest.raises(Abort):  # a BaseExceptionGroup, worded by the backend, before
        await compile(node(fetch).guard(Hedge(0.0))).run(1)
