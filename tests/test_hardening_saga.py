"""Saga compensations run to the end under any cancellation, bounded by a compensation timeout."""

from __future__ import annotations

import asyncio
import logging

import anyio
import pytest

from tta_dev_primitives import (
    CompensationInterruptedError,
    ConfigError,
    NodeTimeoutError,
    RunTimeoutError,
    SagaError,
    compensated,
    compile,
    node,
    saga,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


def booking(undone: list[str], *, undo_delay: float = 0.05, blocker: anyio.Event | None = None) -> object:
    """reserve >> charge >> a step that never finishes; both undos take `undo_delay` seconds."""

    @node
    async def reserve(x: int) -> int:
        return x

    @node
    async def charge(x: int) -> int:
        return x

    async def cancel_reservation(x: int) -> None:
        await asyncio.sleep(undo_delay)
        undone.append("reservation")

    async def refund(x: int) -> None:
        await asyncio.sleep(undo_delay)
        undone.append("refund")

    @node
    async def ship(x: int) -> int:
        if blocker is not None:
            blocker.set()
        await asyncio.sleep(60)
        return x

    return compile(saga(compensated(reserve, node(cancel_reservation)) >> compensated(charge, node(refund)) >> ship))


def test_compensations_survive_a_repeated_native_cancel() -> None:
    undone: list[str] = []

    async def main() -> BaseException:
        started = anyio.Event()
        plan = booking(undone, blocker=started)
        task = asyncio.get_running_loop().create_task(plan.run(1))  # type: ignore[attr-defined]
        await started.wait()
        task.cancel()
        await asyncio.sleep(0.01)  # the first undo is now running
        task.cancel()  # before the fix this second cancel stopped the remaining undos
        try:
            await task
        except BaseException as raised:
            return raised
        raise AssertionError("the run was not cancelled")

    raised = asyncio.run(main())
    assert isinstance(raised, asyncio.CancelledError)
    assert undone == ["refund", "reservation"]
    assert any("compensated 2 of 2" in n for n in getattr(raised, "__notes__", []))


def test_compensations_survive_nested_asyncio_timeouts() -> None:
    undone: list[str] = []

    async def main() -> None:
        plan = booking(undone)

        async def inner() -> None:
            async with asyncio.timeout(0.01):
                await plan.run(1)  # type: ignore[attr-defined]

        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.03):  # fires while the first undo runs
                await inner()

    asyncio.run(main())
    assert undone == ["refund", "reservation"]


async def test_a_hung_compensation_is_bounded_reported_and_the_rest_still_run(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(auto_advance=False)
    undone: list[str] = []
    hung = anyio.Event()

    @node
    async def reserve(x: int) -> int:
        return x

    @node
    async def charge(x: int) -> int:
        return x

    async def cancel_reservation(x: int) -> None:
        undone.append("reservation")

    async def refund(x: int) -> None:
        hung.set()
        await anyio.sleep_forever()

    @node
    async def ship(x: int) -> int:
        raise ConnectionError("carrier down")

    plan = compile(
        saga(
            compensated(reserve, node(cancel_reservation)) >> compensated(charge, node(refund)) >> ship,
            compensation_timeout=5,
            clock=clock,
        )
    )
    raised: list[BaseException] = []

    async def run() -> None:
        try:
            await plan.run(1)
        except BaseException as error:
            raised.append(error)

    with caplog.at_level(logging.ERROR, logger="tta_dev_primitives.saga"), anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await hung.wait()
            clock.advance(5)
    (error,) = raised
    assert isinstance(error, SagaError)
    assert isinstance(error.exceptions[0], ConnectionError)
    assert isinstance(error.exceptions[1], NodeTimeoutError)
    assert undone == ["reservation"]  # the next undo still ran
    assert "compensated 1 of 2" in str(error)
    assert any("compensation of step" in r.getMessage() for r in caplog.records)


async def test_a_run_timeout_waits_at_most_the_compensation_timeout() -> None:
    clock = FakeClock(auto_advance=False)
    hung = anyio.Event()

    @node
    async def reserve(x: int) -> int:
        return x

    async def slow_undo(x: int) -> None:
        hung.set()
        await anyio.sleep_forever()

    @node
    async def wait_forever(x: int) -> int:
        await anyio.sleep_forever()
        return x

    plan = compile(saga(compensated(reserve, node(slow_undo)) >> wait_forever, compensation_timeout=3, clock=clock))
    raised: list[BaseException] = []

    async def run() -> None:
        try:
            await plan.run(1, timeout=0.01)
        except BaseException as error:
            raised.append(error)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await hung.wait()
            clock.advance(3)  # without the bound, the run would never return
    (error,) = raised
    assert isinstance(error, RunTimeoutError)


def test_an_interrupted_compensation_is_reported_not_dropped() -> None:
    error = CompensationInterruptedError("refund", KeyboardInterrupt())
    assert "refund" in str(error) and isinstance(error.__cause__, KeyboardInterrupt)


def test_compensation_settings_are_validated() -> None:
    @node
    async def step(x: int) -> int:
        return x

    with pytest.raises(ConfigError, match="compensation_timeout"):
        saga(step, compensation_timeout=float("nan"))
    with pytest.raises(ConfigError, match="compensation_timeout"):
        saga(step, compensation_timeout=0)
    with pytest.raises(ConfigError, match="clock"):
        saga(step, clock="fake")  # type: ignore[arg-type]
