"""FakeClock: wakeups in deadline order, and no going back."""

from __future__ import annotations

import anyio
import pytest

from tta_dev_primitives import FakeClock


def test_fake_clock_orders_wakeups_and_refuses_to_go_back() -> None:
    clock = FakeClock(start=10, auto_advance=False)
    order: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        order.append(f"{name}@{clock.now():g}")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sleeper, "b", 2.0)
            tg.start_soon(sleeper, "a", 1.0)
            await anyio.wait_all_tasks_blocked()
            assert clock.pending == 2
            clock.advance(5)

    anyio.run(main)
    assert order == ["a@15", "b@15"] and clock.now() == 15  # woken in deadline order, after the jump
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)
