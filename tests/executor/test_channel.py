"""The bounded channel between a live run and its reader (executor.channel), on asyncio and trio."""

from __future__ import annotations

import anyio
import pytest

from tta_dev_primitives.executor._channel import Channel

pytestmark = pytest.mark.anyio


async def test_items_arrive_in_order_then_end_of_stream() -> None:
    channel: Channel[int] = Channel(4)
    for i in range(3):
        channel.send_nowait(i)
    channel.close()
    assert [await channel.receive() for _ in range(3)] == [0, 1, 2]
    with pytest.raises(anyio.EndOfStream):
        await channel.receive()
    with pytest.raises(anyio.ClosedResourceError):
        channel.send_nowait(3)


async def test_a_full_buffer_blocks_the_writer_until_the_reader_takes_one() -> None:
    channel: Channel[int] = Channel(2)
    sent: list[int] = []

    async def write() -> None:
        for i in range(5):
            await channel.send(i)
            sent.append(i)
        channel.close()

    async with anyio.create_task_group() as group:
        group.start_soon(write)
        await anyio.wait_all_tasks_blocked()
        assert sent == [0, 1]  # the third send waits for room
        with pytest.raises(anyio.WouldBlock):
            channel.send_nowait(99)
        received = [await channel.receive()]
        await anyio.wait_all_tasks_blocked()
        assert sent == [0, 1, 2]
        while True:
            try:
                received.append(await channel.receive())
            except anyio.EndOfStream:
                break
    assert received == [0, 1, 2, 3, 4]


async def test_the_reader_waits_for_the_writer() -> None:
    channel: Channel[str] = Channel(1)
    got: list[str] = []

    async def read() -> None:
        got.append(await channel.receive())

    async with anyio.create_task_group() as group:
        group.start_soon(read)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(anyio.WouldBlock):
            channel.receive_nowait()
        channel.send_nowait("hello")
    assert got == ["hello"]


async def test_abandoning_releases_a_blocked_writer() -> None:
    channel: Channel[int] = Channel(1)
    channel.send_nowait(0)
    outcome: list[str] = []

    async def write() -> None:
        try:
            await channel.send(1)
        except anyio.ClosedResourceError:
            outcome.append("closed")

    async with anyio.create_task_group() as group:
        group.start_soon(write)
        await anyio.wait_all_tasks_blocked()
        channel.abandon()
    assert outcome == ["closed"]
    with pytest.raises(anyio.ClosedResourceError):
        channel.receive_nowait()  # the buffer went with the reader


async def test_a_reader_fed_by_a_fast_writer_can_still_be_cancelled() -> None:
    """The writer completes the reader's waiter before anyio's cancellation looks at it, every
    time; the reader must still see the cancellation (it used to read forever)."""
    channel: Channel[int] = Channel(16)

    async def write() -> None:
        i = 0
        while True:
            await channel.send(i)
            i += 1
            await anyio.lowlevel.checkpoint()

    received = 0
    async with anyio.create_task_group() as group:
        group.start_soon(write)
        with anyio.move_on_after(0.05) as scope:
            while True:
                await channel.receive()
                received += 1
                assert received < 500_000, "the cancellation never arrived"  # fails, rather than hangs, without the fix
        group.cancel_scope.cancel()
    assert scope.cancelled_caught and received > 0


async def test_a_writer_drained_by_a_fast_reader_can_still_be_cancelled() -> None:
    """The mirror image: the reader makes room (completing the writer's waiter) before anyio's
    cancellation looks at the writer, every time; the writer must still see the cancellation."""
    channel: Channel[int] = Channel(1)

    async def read() -> None:
        while True:
            await channel.receive()
            await anyio.lowlevel.checkpoint()

    sent = 0
    async with anyio.create_task_group() as group:
        group.start_soon(read)
        with anyio.move_on_after(0.05) as scope:
            while True:
                await channel.send(sent)
                sent += 1
                assert sent < 500_000, "the cancellation never arrived"
        group.cancel_scope.cancel()
    assert scope.cancelled_caught and sent > 0


async def test_every_waiting_writer_is_woken() -> None:
    channel: Channel[str] = Channel(1)
    channel.send_nowait("fill")
    sent: list[str] = []

    async def write(tag: str) -> None:
        await channel.send(tag)
        sent.append(tag)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(write, "A")
            group.start_soon(write, "B")
            await anyio.wait_all_tasks_blocked()
            got = [await channel.receive() for _ in range(3)]
    assert got[0] == "fill" and sorted(got[1:]) == ["A", "B"] and sorted(sent) == ["A", "B"]


async def test_forced_items_keep_their_order_and_writers_wait_for_room() -> None:
    channel: Channel[int] = Channel(2)
    for i in range(5):
        channel.force(i)  # past the capacity: hooks cannot wait
    assert channel.full
    done: list[str] = []

    async def catch_up() -> None:
        await channel.wait_for_room()
        done.append("room")

    async with anyio.create_task_group() as group:
        group.start_soon(catch_up)
        group.start_soon(catch_up)
        await anyio.wait_all_tasks_blocked()
        assert done == []
        got = [await channel.receive() for _ in range(4)]
    assert got == [0, 1, 2, 3] and done == ["room", "room"]


async def test_offer_puts_past_the_bound_and_drops_once_the_reader_is_gone() -> None:
    """`offer` is `force` for hooks that cannot fail the run: past the capacity while the reader
    reads, dropped (no error) after `abandon` or `close`."""
    channel: Channel[int] = Channel(1)
    channel.offer(1)
    channel.offer(2)
    assert channel.full and len(channel.buffered) == 2 and channel.capacity == 1
    assert [channel.receive_nowait(), channel.receive_nowait()] == [1, 2]
    channel.abandon()
    channel.offer(3)  # no ClosedResourceError: the hook's run is being cancelled
    assert len(channel.buffered) == 0
    closed: Channel[int] = Channel(1)
    closed.close()
    closed.offer(4)
    with pytest.raises(anyio.EndOfStream):
        closed.receive_nowait()
