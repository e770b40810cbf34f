"""Saga compensation: completed steps undone in reverse order, failures and types of
compensations, nested sagas; and compensations run to the end under any cancellation, bounded
by a compensation timeout."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio
import pytest

from tta_dev_primitives import (
    BuildError,
    CompensationInterruptedError,
    ConfigError,
    Hook,
    NodeInfo,
    NodeTimeoutError,
    Retry,
    RunContext,
    RunTimeoutError,
    Saga,
    SagaError,
    TypeMismatchError,
    compensated,
    compile,
    node,
    saga,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


class Ledger:
    def __init__(self) -> None:
        self.events: list[str] = []


async def test_saga_compensates_completed_steps_in_reverse_order() -> None:
    ledger = Ledger()

    async def create_user(data: dict[str, Any]) -> str:
        ledger.events.append("create")
        return "user-1"

    async def delete_user(user: str) -> None:
        ledger.events.append(f"delete {user}")

    async def send_email(user: str) -> str:
        ledger.events.append("email")
        return f"mail-to-{user}"

    async def send_cancellation(mail: str) -> None:
        ledger.events.append(f"cancel {mail}")

    async def charge(mail: str) -> str:
        raise ConnectionError("payment down")

    booking = Saga()
    booking.add_step(create_user, rollback=delete_user)
    booking.add_step(send_email, rollback=send_cancellation)
    assert await booking.execute({"user_data": {}}) == "mail-to-user-1"
    booking.add_step(charge)
    ledger.events.clear()
    with pytest.raises(ConnectionError) as info:
        await booking.execute({"user_data": {}})
    assert ledger.events == ["create", "email", "cancel mail-to-user-1", "delete user-1"]
    assert any("compensated 2 of 2 completed step(s) in reverse order ['send_email', 'create_user']" in n for n in info.value.__notes__)


async def test_compensation_failures_are_raised_with_the_original_error() -> None:
    async def step(x: int) -> int:
        return x

    async def broken_undo(x: int) -> None:
        raise RuntimeError("undo failed")

    async def fail(x: int) -> int:
        raise ValueError("step failed")

    with pytest.raises(SagaError) as info:
        await compile(saga(compensated(node(step), broken_undo) >> node(fail))).run(1)
    assert [type(e) for e in info.value.exceptions] == [ValueError, RuntimeError]


async def test_compensations_run_on_cancellation_shielded() -> None:
    undone = anyio.Event()
    started = anyio.Event()

    async def reserve(x: int) -> int:
        return x

    async def release(x: int) -> None:
        await anyio.sleep(0)  # a checkpoint: must not be interrupted by the cancellation
        undone.set()

    async def wait_forever(x: int) -> int:
        started.set()
        await anyio.Event().wait()
        return x

    plan = compile(saga(compensated(node(reserve), release) >> node(wait_forever)))
    async with anyio.create_task_group() as tg:
        tg.start_soon(plan.run, 1)
        await started.wait()
        tg.cancel_scope.cancel()
    assert undone.is_set()


async def test_compensation_retry_and_hook() -> None:
    seen: list[tuple[str, str | None]] = []
    attempts = 0

    class Watch(Hook):
        def on_compensate(self, node: NodeInfo, ctx: RunContext, step: str, error: BaseException | None) -> None:
            seen.append((step, type(error).__name__ if error else None))

    async def book(x: int) -> int:
        return x

    async def flaky_undo(x: int) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 2:
            raise ConnectionError("retry me")

    async def fail(x: int) -> int:
        raise ValueError()

    body = compensated(node(book), flaky_undo) >> node(fail)
    plan = compile(saga(body, compensation_retry=Retry(max_attempts=3, clock=FakeClock()))).with_hooks(Watch())
    with pytest.raises(ValueError):
        await plan.run(1)
    assert attempts == 2 and seen == [("book", None)]


def test_compensation_type_is_checked_against_the_step_output() -> None:
    async def make(x: int) -> str:
        return str(x)

    async def undo_int(x: int) -> None:
        return None

    with pytest.raises(TypeMismatchError, match="compensation of compensated 'make'"):
        compile(saga(compensated(node(make), undo_int)))  # type: ignore[arg-type]


def test_saga_bad_input() -> None:
    with pytest.raises(BuildError, match="rollback must be callable"):
        Saga().add_step(node(lambda x: x), rollback=42)
    with pytest.raises(ConfigError, match="at least one step"):
        compile(Saga())


async def test_a_nested_saga_that_succeeded_is_undone_with_its_enclosing_saga() -> None:
    undone: list[str] = []

    async def step(x: int) -> int:
        return x

    async def undo_inner(x: int) -> None:
        undone.append("inner")

    async def undo_outer(x: int) -> None:
        undone.append("outer")

    async def fail(x: int) -> int:
        raise ValueError("late failure")

    inner = saga(compensated(node(step, name="inner_step"), undo_inner))
    outer = saga(compensated(node(step, name="outer_step"), undo_outer) >> inner >> node(fail))
    with pytest.raises(ValueError):
        await compile(outer).run(1)
    assert undone == ["inner", "outer"]


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
