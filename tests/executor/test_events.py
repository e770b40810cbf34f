"""plan.events(): typed run events from the hook mechanism, matching EXPLAIN's node ids."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from tta_dev_primitives import (
    Cache,
    FakeChatModel,
    FakeClock,
    TransientError,
    agent,
    compile,
    node,
    streaming,
    tool,
)
from tta_dev_primitives.events import (
    CacheEvent,
    ChunkEvent,
    LoopIterationEvent,
    NodeFinished,
    NodeStarted,
    RetryEvent,
    RunFinished,
    RunStarted,
    ToolCallEvent,
)
from tta_dev_primitives.stdlib.llm import ToolCall

pytestmark = pytest.mark.anyio


@streaming
async def tokens(prompt: str) -> AsyncIterator[str]:
    for word in prompt.split():
        await anyio.lowlevel.checkpoint()
        yield word + " "


async def test_events_of_a_run_in_order_with_explain_ids() -> None:
    attempts: list[int] = []

    @node
    async def flaky(text: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise TransientError("once")
        return text.strip()

    cache = Cache(max_size=10, ttl=None)
    plan = compile(tokens >> flaky.retry(initial_delay=0, clock=FakeClock()).cached(cache))
    ids = {op.name: op.node_id for op in plan.ops()}
    async with plan.events("a b") as events:
        seen = [event async for event in events]
    assert await events.result() == "a b"
    assert isinstance(seen[0], RunStarted) and isinstance(seen[-1], RunFinished) and seen[-1].status == "ok"
    assert seen[0].fingerprint == plan.fingerprint()
    chunks = [e for e in seen if isinstance(e, ChunkEvent)]
    assert [(c.node, c.index, c.chunk) for c in chunks] == [("tokens", 0, "a "), ("tokens", 1, "b ")]
    assert all(c.node_id == ids["tokens"] for c in chunks)
    retry = next(e for e in seen if isinstance(e, RetryEvent))
    assert retry.node_id == ids["retry(flaky)"] and retry.attempt == 1 and isinstance(retry.error, TransientError)
    assert [e.hit for e in seen if isinstance(e, CacheEvent)] == [False]
    for event in seen:
        if isinstance(event, (NodeStarted, NodeFinished)):
            assert ids[event.node] == event.node_id  # names and ids as in plan.ops() and EXPLAIN
            assert f"'{event.node}'" in plan.explain()
    finished = {e.node: e for e in seen if isinstance(e, NodeFinished)}
    assert finished["flaky"].status == "ok" and finished["tokens"].duration >= 0
    # the stream node ends after its last chunk
    assert seen.index(finished["tokens"]) > seen.index(chunks[-1])
    times = [e.at for e in seen]
    assert times == sorted(times)


async def test_a_failed_run_ends_with_its_event_then_raises() -> None:
    @node
    async def boom(text: str) -> str:
        raise LookupError("missing")

    plan = compile(tokens >> boom)
    seen: list[object] = []
    with pytest.raises(LookupError):
        async with plan.events("a") as events:
            async for event in events:
                seen.append(event)
    last = seen[-1]
    assert isinstance(last, RunFinished) and last.status == "error" and isinstance(last.error, LookupError)
    failed = [e for e in seen if isinstance(e, NodeFinished) and e.status == "error"]
    assert [e.node for e in failed] == ["boom", "tokens >> boom"]


async def test_agent_runs_report_turns_and_tool_calls() -> None:
    def add(numbers: list[int]) -> int:
        """Add numbers."""
        return sum(numbers)

    model = FakeChatModel(script=[ToolCall("c1", "add", '{"numbers": [1, 2]}'), "3"])
    plan = compile(agent(model, tools=[tool(add)], max_turns=3))
    async with plan.events("what is 1 + 2?") as events:
        seen = [event async for event in events]
    assert await events.result() == "3"
    calls = [e for e in seen if isinstance(e, ToolCallEvent)]
    assert [(c.tool, c.call_id) for c in calls] == [("add", "c1")]
    assert [e.iteration for e in seen if isinstance(e, LoopIterationEvent)] == [0, 1]


async def test_a_slow_consumer_slows_the_run_down() -> None:
    done: list[int] = []

    @node
    async def step(i: int) -> int:
        done.append(i)
        return i

    plan = compile(node(lambda n: list(range(n))).cast(list[int]).map(step, concurrency=1))
    finished = 0
    lag = 0
    async with plan.events(200, buffer=4) as events:
        async for event in events:
            if isinstance(event, NodeFinished) and event.node == "step":
                finished += 1
            lag = max(lag, len(done) - finished)
            await anyio.lowlevel.checkpoint()
    assert finished == 200
    assert lag <= 8  # a bounded buffer: the run waited for the consumer instead of running ahead


async def test_breaking_out_of_events_cancels_the_run() -> None:
    cancelled = anyio.Event()

    @node
    async def forever(x: str) -> str:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        return x  # pragma: no cover

    plan = compile(forever)
    async with plan.events("x") as events:
        async for event in events:
            if isinstance(event, NodeStarted):
                break
    assert cancelled.is_set()


async def test_runs_without_events_pay_nothing_for_them() -> None:
    plan = compile(tokens)
    assert await plan.run("a") == "a "
    exe = plan._executable()
    assert exe.hooks is None  # the events hook lives only in the events() executable


async def test_concurrent_branches_behind_a_slow_reader_neither_hang_nor_repeat_events() -> None:
    """Each of a map's items waits for the reader when it is behind; every one must be woken,
    and each event delivered once, in order (default buffer)."""
    from tta_dev_primitives import for_each

    @node
    async def work(i: int) -> int:
        await anyio.sleep(0)
        return i * 2

    @node
    def items(n: int) -> list[int]:
        return list(range(n))

    @node
    def total(xs: list[int]) -> int:
        return sum(xs)

    plan = compile(items >> for_each(work) >> total)
    seen: list[object] = []
    with anyio.fail_after(20):
        async with plan.events(300) as events:
            async for event in events:
                seen.append(event)
                await anyio.sleep(0)  # a reader slower than the run
        assert await events.result() == sum(range(300)) * 2
    assert len({id(e) for e in seen}) == len(seen)
    kinds = [type(e).__name__ for e in seen]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert kinds.count("NodeStarted") == kinds.count("NodeFinished") == 300 + 4


async def test_a_stream_its_reader_stops_early_ends_ok() -> None:
    @streaming
    async def tokens(prompt: str) -> AsyncIterator[str]:
        for i in range(10):
            yield f"t{i} "

    @node
    async def first_three(chunks: AsyncIterator[str]) -> str:
        taken: list[str] = []
        async for chunk in chunks:
            taken.append(chunk)
            if len(taken) == 3:
                break
        return "".join(taken)

    plan = compile(tokens >> first_three)
    async with plan.events("q") as events:
        finished = {e.node: e for e in [e async for e in events] if isinstance(e, NodeFinished)}
    assert await events.result() == "t0 t1 t2 "
    assert finished["tokens"].status == "ok" and finished["tokens"].error is None


async def test_events_name_nodes_as_explain_shows_them() -> None:
    @node
    def double(x: int) -> int:
        return x * 2

    @node
    def shout(x: int) -> str:
        return f"{x}!"

    plan = compile(double >> double.named("again") >> shout)
    lines = plan.explain().splitlines()
    async with plan.events(1) as events:
        node_events = [e for e in [e async for e in events] if isinstance(e, NodeFinished)]
    assert node_events
    for event in node_events:  # the line of EXPLAIN that ends with the event's id names its node
        (line,) = [line for line in lines if line.endswith(f"  #{event.node_id}")]
        assert f" {event.node!r}  " in line


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_stopping_a_live_run_cancels_a_node_that_awaits_again_while_cleaning_up(backend: str) -> None:
    """Stopping `plan.events()` / `plan.stream()` cancels the run level-triggered, as a task group
    does: a node that catches the cancellation and awaits again in its cleanup (as
    `anyio.run_process` does, waiting for its child) is cancelled again, on asyncio too. (In a
    thread: with edge-triggered cancellation the run never stops, and neither would the test.)"""
    import threading

    cleanups: list[str] = []

    async def stubborn(x: int) -> int:
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cleanups.append("first")
            try:
                await anyio.sleep_forever()  # edge-triggered cancellation would leave it here for ever
            finally:
                cleanups.append("second")
            raise
        return x

    async def consume() -> None:
        async with compile(node(stubborn)).events(1):
            await started.wait()  # the consumer leaves early: the run is stopped

    started: anyio.Event
    async def main() -> None:
        nonlocal started
        started = anyio.Event()
        await consume()

    thread = threading.Thread(target=anyio.run, args=(main,), kwargs={"backend": backend}, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the stopped run is still waiting in its cleanup"
    assert cleanups == ["first", "second"]
