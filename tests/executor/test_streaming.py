"""plan.stream(): chunks through a compiled plan, transforms, joins, streaming-aware resilience,
cancellation, backpressure and misuse."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable

import anyio
import pytest

from tta_dev_primitives import (
    Bulkhead,
    Cache,
    ConfigError,
    FakeClock,
    NodeTimeoutError,
    RunContext,
    StreamInterruptedError,
    StreamNode,
    StreamPlan,
    StreamUsageError,
    TransientError,
    TypeMismatchError,
    BuildError,
    compile,
    node,
    streaming,
)

pytestmark = pytest.mark.anyio


def _endless(on_close: Callable[[], object]) -> StreamNode[str, str, str]:
    """A stream of "tick " for ever, yielding to the loop between chunks; `on_close()` runs
    when the stream is closed (the reader left, or the run was cancelled)."""

    @streaming
    async def endless(prompt: str) -> AsyncIterator[str]:
        try:
            while True:
                await anyio.sleep(0)
                yield "tick "
        finally:
            on_close()

    return endless


def words(text: str, log: list[str] | None = None) -> AsyncIterator[str]:
    async def gen() -> AsyncIterator[str]:
        for word in text.split():
            await anyio.lowlevel.checkpoint()
            if log is not None:
                log.append(word)
            yield word + " "

    return gen()


@streaming
async def tokens(prompt: str) -> AsyncIterator[str]:
    async for chunk in words(prompt):
        yield chunk


@streaming
async def sentences(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    """A sentence buffer: chunks in, whole sentences out."""
    pending = ""
    async for chunk in chunks:
        pending += chunk
        if pending.rstrip().endswith("."):
            yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


@node
async def shout(text: str) -> str:
    return text.upper()


@node
async def length(text: str) -> int:
    return len(text)


async def collect(plan: StreamPlan[str, str, object], x: str, **kwargs: object) -> tuple[list[str], object]:
    async with plan.stream(x, **kwargs) as chunks:  # type: ignore[arg-type]
        got = [chunk async for chunk in chunks]
    return got, await chunks.result()


async def test_chunks_arrive_and_the_steps_around_the_stream_run() -> None:
    plan = compile(shout >> tokens >> length)
    assert isinstance(plan, StreamPlan)
    got, result = await collect(plan, "one two three")
    assert got == ["ONE ", "TWO ", "THREE "]
    assert result == len("ONE TWO THREE ")  # the step after the stream saw the joined value
    assert await plan.run("one two") == len("ONE TWO ")


async def test_a_transform_takes_the_chunks_as_they_come() -> None:
    release = anyio.Event()

    @streaming
    async def slow_source(prompt: str) -> AsyncIterator[str]:
        yield "First sentence. "
        await release.wait()  # only the consumer's reading the first sentence lets this go on
        yield "Second "
        yield "one."

    plan = compile(slow_source >> sentences)
    seen: list[str] = []
    async with plan.stream("x") as chunks:
        async for sentence in chunks:
            seen.append(sentence)
            release.set()
    assert seen == ["First sentence.", "Second one."]
    assert await chunks.result() == "First sentence.Second one."
    assert await plan.run("x") == "First sentence.Second one."


async def test_a_reducer_takes_the_whole_stream_and_closes_it() -> None:
    closed: list[bool] = []

    @streaming
    async def source(prompt: str) -> AsyncIterator[str]:
        try:
            for word in prompt.split():
                yield word
        finally:
            closed.append(True)

    @node
    async def first_two(chunks: AsyncIterator[str]) -> list[str]:
        return [await chunks.__anext__(), await chunks.__anext__()]

    plan = compile(source >> first_two)
    assert await plan.run("a b c d") == ["a", "b"]
    assert closed == [True]  # the reducer read two chunks; the stream was closed after it


async def test_stream_is_refused_for_a_plan_without_a_streaming_output() -> None:
    plan = compile(shout >> length)
    with pytest.raises(ConfigError, match="does not stream"):
        plan.stream("x")

    @node
    async def count_chunks(chunks: AsyncIterator[str]) -> int:
        return len([chunk async for chunk in chunks])

    reduced = compile(tokens >> count_chunks)  # the chunks are consumed inside: nothing streams out
    assert not isinstance(reduced, StreamPlan)
    assert await reduced.run("a b c") == 3
    with pytest.raises(ConfigError, match="does not stream"):
        reduced.stream("a b c")


async def test_iterating_without_entering_is_a_clear_error() -> None:
    plan = compile(tokens)
    live = plan.stream("a b")
    with pytest.raises(StreamUsageError, match="async with plan.stream"):
        async for _ in live:
            pass
    async with live:
        pass
    with pytest.raises(StreamUsageError, match="already entered"):
        async with live:
            pass


async def test_retry_acts_before_the_first_chunk_only() -> None:
    opened: list[int] = []

    @streaming
    async def flaky(prompt: str) -> AsyncIterator[str]:
        opened.append(len(opened))
        if len(opened) == 1:
            raise TransientError("connection reset before the first token")
        for word in prompt.split():
            yield word

    plan = compile(flaky.retry(max_attempts=3, initial_delay=0, clock=FakeClock()))
    got, result = await collect(plan, "a b c")
    assert got == ["a", "b", "c"] and result == "abc" and len(opened) == 2


async def test_a_failure_after_the_first_chunk_is_typed_and_never_repeated() -> None:
    opened: list[int] = []

    @streaming
    async def cut(prompt: str) -> AsyncIterator[str]:
        opened.append(1)
        yield "partial "
        raise TransientError("connection reset mid-stream")

    fallback_used: list[int] = []

    @streaming
    async def other(prompt: str) -> AsyncIterator[str]:
        fallback_used.append(1)
        yield "other"

    guarded = cut.retry(max_attempts=5, initial_delay=0, clock=FakeClock(), retry_on=(Exception,)).fallback(other)
    plan = compile(guarded)
    received: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async with plan.stream("x") as chunks:
            async for chunk in chunks:
                received.append(chunk)
    assert received == ["partial "]  # no duplicate text, no text from the fallback
    assert opened == [1] and fallback_used == []
    assert caught.value.chunks == 1 and isinstance(caught.value.__cause__, TransientError)
    assert caught.value.node_name == "cut"
    with pytest.raises(StreamInterruptedError):
        await plan.run("x")  # the same rule in a plain run


async def test_fallback_before_the_first_chunk_streams_the_next_route() -> None:
    @streaming
    async def down(prompt: str) -> AsyncIterator[str]:
        raise ConnectionError("primary down")
        yield ""  # pragma: no cover - makes this an async generator

    plan = compile(down.fallback(tokens))
    got, result = await collect(plan, "a b")
    assert got == ["a ", "b "] and result == "a b "


async def test_timeouts_first_chunk_idle_and_total_on_a_fake_clock() -> None:
    clock = FakeClock()

    def paced(first: float, gap: float, count: int) -> object:
        @streaming
        async def source(prompt: str) -> AsyncIterator[str]:
            await clock.sleep(first)
            for i in range(count):
                if i:
                    await clock.sleep(gap)
                yield f"{i} "

        return source

    slow_start = compile(paced(5, 0, 2).timeout(60, first_chunk=1, clock=clock))  # type: ignore[attr-defined]
    with pytest.raises(NodeTimeoutError, match="1s"):
        await slow_start.run("x")  # before any chunk: a plain timeout (an outer retry may repeat it)

    stalls = compile(paced(0, 5, 3).timeout(60, idle=1, clock=clock))  # type: ignore[attr-defined]
    received: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async with stalls.stream("x") as chunks:
            async for chunk in chunks:
                received.append(chunk)
    assert received == ["0 "] and isinstance(caught.value.__cause__, NodeTimeoutError)

    too_long = compile(paced(0, 2, 10).timeout(5, clock=clock))  # type: ignore[attr-defined]
    with pytest.raises(StreamInterruptedError) as total:
        await too_long.run("x")
    assert total.value.chunks == 3  # chunks at t=0, 2, 4; the next would come at 6 > 5

    fine = compile(paced(0.5, 0.5, 3).timeout(5, first_chunk=1, idle=1, clock=clock))  # type: ignore[attr-defined]
    assert await fine.run("x") == "0 1 2 "


async def test_timeout_limits_for_streams_need_a_stream() -> None:
    with pytest.raises(ConfigError, match="first_chunk"):
        from tta_dev_primitives import Timeout

        compile(Timeout(5, first_chunk=1)(shout))


async def test_cache_stores_the_joined_result_and_replays_it_as_a_stream() -> None:
    calls: list[str] = []

    @streaming
    async def source(prompt: str) -> AsyncIterator[str]:
        calls.append(prompt)
        for word in prompt.split():
            yield word + " "

    cache = Cache(max_size=10, ttl=None)
    plan = compile(source.cached(cache))
    first, _ = await collect(plan, "a b c")
    again, result = await collect(plan, "a b c")
    assert first == ["a ", "b ", "c "]
    assert again == ["a b c "] and result == "a b c "  # the joined text, replayed as one chunk
    assert calls == ["a b c"]
    assert await plan.run("a b c") == "a b c " and calls == ["a b c"]


async def test_a_cut_short_stream_is_not_cached() -> None:
    calls: list[str] = []

    cut = [True]

    @streaming
    async def source(prompt: str) -> AsyncIterator[str]:
        calls.append(prompt)
        for word in prompt.split():
            yield word
            if cut[0]:
                await anyio.sleep_forever()  # the reader leaves before the rest comes

    plan = compile(source.cached(ttl=None))
    async with plan.stream("a b c") as chunks:
        async for _ in chunks:
            break
    cut[0] = False
    assert await plan.run("a b c") == "abc"
    assert calls == ["a b c", "a b c"]


async def test_concurrent_cache_misses_stream_once() -> None:
    calls: list[str] = []
    gate = anyio.Event()

    @streaming
    async def source(prompt: str) -> AsyncIterator[str]:
        calls.append(prompt)
        await gate.wait()
        yield "x"
        yield "y"

    plan = compile(source.cached(ttl=None))
    results: list[object] = []

    async def one() -> None:
        results.append(await plan.run("k"))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert results == ["xy", "xy", "xy"] and calls == ["k"]


async def test_cache_of_a_stream_needs_a_split() -> None:
    def total(values: list[int]) -> int:
        return sum(values)

    @streaming(join=total)
    async def numbers(n: int) -> AsyncIterator[int]:
        yield n

    assert await compile(numbers).run(3) == 3
    with pytest.raises(ConfigError, match="split"):
        compile(numbers.cached())


async def test_breaking_out_cancels_the_run_and_closes_the_source() -> None:
    state: dict[str, object] = {"produced": 0, "closed": False}

    @streaming
    async def endless(prompt: str) -> AsyncIterator[str]:
        try:
            while True:
                await anyio.lowlevel.checkpoint()
                state["produced"] = int(state["produced"]) + 1  # type: ignore[call-overload]
                yield "tick "
        finally:
            state["closed"] = True

    after: list[str] = []

    @node
    async def never(text: str) -> str:
        after.append(text)
        return text

    plan = compile(endless >> never)
    received = 0
    async with plan.stream("x", buffer=2) as chunks:
        async for _ in chunks:
            received += 1
            if received == 5:
                break
    assert state["closed"] is True and after == []
    assert int(state["produced"]) <= 5 + 2 + 1  # a bounded buffer: the producer did not run ahead  # type: ignore[call-overload]


async def test_a_cancelled_consumer_cancels_the_run() -> None:
    closed = anyio.Event()
    plan = compile(_endless(closed.set))
    with anyio.move_on_after(0.05):
        async with plan.stream("x") as chunks:
            async for _ in chunks:
                pass
    assert closed.is_set()


async def test_aclose_stops_the_run() -> None:
    closed: list[bool] = []
    plan = compile(_endless(lambda: closed.append(True)))
    async with plan.stream("x") as chunks:
        await chunks.__anext__()
        await chunks.aclose()
        assert closed == [True]
        with pytest.raises(StopAsyncIteration):
            await chunks.__anext__()


async def test_an_error_after_the_stream_is_raised_after_its_chunks() -> None:
    @node
    async def fails(text: str) -> str:
        raise ValueError(f"bad {text!r}")

    plan = compile(tokens >> fails)
    received: list[str] = []
    with pytest.raises(ValueError, match="bad 'a b '"):
        async with plan.stream("a b") as chunks:
            async for chunk in chunks:
                received.append(chunk)
    assert received == ["a ", "b "]


async def test_an_unread_failure_is_raised_when_the_block_ends() -> None:
    @streaming
    async def broken(prompt: str) -> AsyncIterator[str]:
        raise KeyError("no model")
        yield ""  # pragma: no cover

    plan = compile(broken)
    with pytest.raises(KeyError):
        async with plan.stream("x") as chunks:
            await anyio.wait_all_tasks_blocked()
            assert chunks is not None


async def test_retry_around_a_finished_stream_does_not_repeat_its_chunks() -> None:
    attempts: list[int] = []

    @node
    async def flaky_after(text: str) -> str:
        attempts.append(1)
        raise TransientError("after the stream")

    plan = compile((tokens >> flaky_after).retry(max_attempts=3, initial_delay=0, clock=FakeClock()))
    received: list[str] = []
    with pytest.raises(TransientError) as caught:
        async with plan.stream("a b") as chunks:
            async for chunk in chunks:
                received.append(chunk)
    assert received == ["a ", "b "] and attempts == [1]
    assert any("already streamed" in note for note in caught.value.__notes__)
    with pytest.raises(TransientError):
        await plan.run("a b")
    assert len(attempts) == 4  # a plain run has no consumer: the retry repeats the whole step


async def test_a_plan_run_inside_a_streamed_run_keeps_its_chunks() -> None:
    inner = compile(tokens)

    @node
    async def nested(text: str) -> str:
        return await inner.run("inner words")

    plan = compile(nested >> tokens)
    got, result = await collect(plan, "outer")
    assert got == ["inner ", "words "]  # the outer plan's outlet only: the inner run's chunks stay inside
    assert result == "inner words "


async def test_bulkhead_holds_its_slot_for_the_whole_stream() -> None:
    gate = anyio.Event()

    @streaming
    async def held(prompt: str) -> AsyncIterator[str]:
        yield "first"
        await gate.wait()
        yield "last"

    bulkhead = Bulkhead(1)
    plan = compile(held.guard(bulkhead))
    async with plan.stream("x") as chunks:
        assert await chunks.__anext__() == "first"
        assert bulkhead.active == 1  # past the first chunk, the stream still holds the slot
        gate.set()
        assert await chunks.__anext__() == "last"
    assert bulkhead.active == 0


async def test_context_reaches_streaming_functions() -> None:
    @streaming
    async def with_ctx(prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        yield str(ctx.workflow_id)

    plan = compile(with_ctx)
    assert await plan.run("x", context=RunContext(workflow_id="wf-1")) == "wf-1"


def test_build_errors_name_the_function_and_the_fix() -> None:
    def sync_gen(x: str):  # type: ignore[no-untyped-def]
        yield x

    with pytest.raises(BuildError, match="sync generator"):
        streaming(sync_gen)
    with pytest.raises(BuildError, match="need join="):

        @streaming
        async def numbers(n: int) -> AsyncIterator[int]:
            yield n

    with pytest.raises(BuildError, match="async generator"):
        node(tokens.fn)  # type: ignore[attr-defined]


def test_a_transform_after_a_plain_value_is_a_type_error() -> None:
    with pytest.raises(TypeMismatchError, match="AsyncIterator"):
        compile(shout >> sentences)  # type: ignore[operator]


def test_explain_shows_the_chunk_edge() -> None:
    text = compile(shout >> tokens >> sentences >> length).explain(locations=False)
    assert "stream 'tokens'  str -> str  [stream of str]" in text
    assert "↓ AsyncIterator[str]  (checked)" in text


async def test_the_stream_span_ends_at_the_last_chunk_and_records_its_timing() -> None:
    import time

    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from prometheus_client import CollectorRegistry

    from tta_dev_primitives import FakeChatModel, chat_stream
    from tta_dev_primitives.observability import configure_metrics, configure_tracing

    exporter = InMemorySpanExporter()
    tracing = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    registry = CollectorRegistry()
    metrics = configure_metrics(registry, install=False)
    assert tracing is not None and metrics is not None
    produced_last = 0

    @streaming
    async def paced(prompt: str) -> AsyncIterator[str]:
        nonlocal produced_last
        for word in prompt.split():
            await anyio.sleep(0.01)
            produced_last = time.time_ns()
            yield word

    plan = compile(paced >> length).with_hooks(tracing, metrics)
    async with plan.stream("one two three") as chunks:
        got = [chunk async for chunk in chunks]
    assert got == ["one", "two", "three"]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    stream_span = spans["paced"]
    attributes = dict(stream_span.attributes or {})
    assert attributes["stream.chunks"] == 3
    assert 0.005 <= float(attributes["stream.time_to_first_chunk_s"]) < 1  # type: ignore[arg-type]
    assert stream_span.end_time is not None and stream_span.end_time >= produced_last  # the whole stream
    assert spans["length"].start_time is not None and spans["length"].start_time >= stream_span.end_time

    model_plan = compile(chat_stream(FakeChatModel("fake-small", reply=lambda r: "one two three"))).with_hooks(tracing)
    assert await model_plan.run("hi") == "one two three"
    model_span = next(s for s in exporter.get_finished_spans() if s.name == "fake-small stream")
    model_attributes = dict(model_span.attributes or {})
    assert model_attributes["gen_ai.request.model"] == "fake-small" and model_attributes["gen_ai.usage.output_tokens"] == 3
    assert model_attributes["stream.chunks"] == 3
    count = registry.get_sample_value(
        "tta_time_to_first_token_seconds_count", {"primitive_type": "stream", "primitive": "paced"}
    )
    assert count == 1


async def test_chat_stream_is_a_model_call_for_the_analysis() -> None:
    from tta_dev_primitives import FakeChatModel, chat_stream

    plan = compile(chat_stream(FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=1000)))
    assert plan.analysis is not None and plan.analysis.cost > 0
    assert re.search(r"worst-case LLM calls +1\b", plan.explain())


async def test_a_consumer_is_recognised_by_any_async_stream_annotation() -> None:
    @streaming
    async def upper(chunks: AsyncGenerator[str, None]) -> AsyncIterator[str]:
        async for chunk in chunks:
            yield chunk.upper()

    @node
    async def count(chunks: AsyncIterable[str]) -> int:
        return len([chunk async for chunk in chunks])

    assert await compile(tokens >> count).run("a b c") == 3
    # a generator is more than the AsyncIterator a stream hands over: the edge says so, as mypy does
    with pytest.raises(TypeMismatchError, match=r"AsyncIterator\[str\] is not assignable to AsyncGenerator\[str, None\]"):
        compile(tokens >> upper)  # type: ignore[operator]


@pytest.mark.parametrize("fatal", [KeyboardInterrupt, SystemExit])
async def test_a_fatal_error_in_the_run_propagates_unchanged(fatal: type[BaseException]) -> None:
    """As from plan.run: not out of asyncio's loop, not wrapped in a trio nursery's group."""

    @streaming
    async def tokens(prompt: str) -> AsyncIterator[str]:
        yield "a "
        raise fatal("stop")

    plan = compile(tokens)
    got: list[str] = []
    with pytest.raises(fatal):
        async with plan.stream("x") as chunks:
            async for chunk in chunks:
                got.append(chunk)
    assert got == ["a "]


@pytest.mark.parametrize("fatal", [KeyboardInterrupt, SystemExit])
async def test_a_fatal_error_in_the_readers_block_propagates_unchanged(fatal: type[BaseException]) -> None:
    closed = anyio.Event()
    with pytest.raises(fatal):
        async with compile(_endless(closed.set)).stream("x") as chunks:
            async for _ in chunks:
                raise fatal("reader stops")
    assert closed.is_set()


async def test_a_run_inside_a_node_never_sends_to_the_enclosing_runs_reader() -> None:
    """A node that runs its own plan (recursion) streams that inner run's chunks nowhere: the
    reader sees its run's chunks only, and they join to its result."""
    holder: list[Plan[str, str]] = []

    @node
    async def prepare(question: str) -> str:
        if question == "outer":
            return f"{question}|{await holder[0].run('inner')}"
        return question

    @streaming
    async def echo(text: str) -> AsyncIterator[str]:
        for part in text.split("|"):
            yield f"[{part}]"

    plan = compile(prepare >> echo)
    holder.append(plan)
    async with plan.stream("outer") as chunks:
        got = [chunk async for chunk in chunks]
    assert got == ["[outer]", "[[inner]]"]
    assert "".join(got) == await chunks.result()


async def test_a_hedge_closes_the_streams_it_does_not_use() -> None:
    from tta_dev_primitives import Hedge

    counts = {"opened": 0, "closed": 0}

    @streaming
    async def answer(prompt: str) -> AsyncIterator[str]:
        counts["opened"] += 1
        try:
            yield "a"  # the first chunk comes at once: several attempts may win together
            await anyio.sleep(0.01)
            yield "b"
        finally:
            counts["closed"] += 1

    plan = compile(answer.guard(Hedge(0.0, max_attempts=3)))
    for _ in range(3):
        async with plan.stream("q") as chunks:
            assert [c async for c in chunks] == ["a", "b"]
        assert counts["opened"] == counts["closed"]  # at the block's end, not at garbage collection
