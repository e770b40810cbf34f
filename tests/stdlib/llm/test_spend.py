"""Every model call a tracker or budget can see is seen once, wherever it is made: streamed
calls, an LLMPrimitive called directly from inside another node, several calls in one node
under a soft budget, one tracker in scope twice. Calls no scope can see are refused by hard
budgets at compile time, naming the node."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import (
    BudgetExceededError,
    ChatRequest,
    ChatResponse,
    ConfigError,
    FakeChatModel,
    RunContext,
    agent,
    chat_stream,
    compile,
    install_hook,
    node,
    tool,
    uninstall_hook,
)
from tta_dev_primitives.observability import configure_tracing
from tta_dev_primitives.stdlib.llm import BudgetEnforcementPrimitive, CostTracker, CostTrackingPrimitive, LLMPrimitive

pytestmark = pytest.mark.anyio

ONE_CALL = 300 * 10 / 1e6  # a 300-token gpt-4o reply costs about $0.003


def _words(n: int) -> str:
    return " ".join(["w"] * n)


def _writer() -> FakeChatModel:
    return FakeChatModel("gpt-4o", reply=lambda r: _words(300), max_tokens=300)


@node
def as_reply(text: str) -> ChatResponse:
    return ChatResponse(text, "post-processed", 0, 0)


async def test_a_streamed_call_is_recorded_and_reserved_like_a_complete_call() -> None:
    model = _writer()
    tracked = CostTrackingPrimitive(chat_stream(model) >> as_reply)
    guarded = BudgetEnforcementPrimitive(tracked, budget_usd=ONE_CALL * 1.5, hard=True)
    plan = compile(guarded)
    await plan.run(ChatRequest.of("hi"))
    usage = (await guarded.get_cost_report()).by_model
    assert set(usage) == {"gpt-4o"} and (usage["gpt-4o"].calls, usage["gpt-4o"].output_tokens) == (1, 300)
    with pytest.raises(BudgetExceededError, match="hard LLM budget"):  # the second stream's worst case does not fit
        await plan.run(ChatRequest.of("hi"))
    assert len(model.requests) == 1 and guarded.budget.in_flight_usd == 0.0


class Unmetered(FakeChatModel):
    """A model whose stream reports no usage (as a provider's stream cut short does not)."""

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        for word in ("one ", "two"):
            yield word


async def test_a_stream_that_reports_no_usage_counts_at_its_reservation() -> None:
    from tta_dev_primitives.stdlib.llm.prices import request_cost_bound

    model = Unmetered("gpt-4o", max_tokens=300)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(chat_stream(model) >> as_reply), budget_usd=1.0)
    await compile(guarded).run(ChatRequest.of("hi"))
    worst = request_cost_bound(model, ChatRequest.of("hi"))
    assert worst is not None and guarded.budget.unpriced_usd == pytest.approx(worst)  # never $0
    assert guarded.budget.in_flight_usd == 0.0 and guarded.cost_tracker.tracker.usage == {}


async def test_a_stream_closed_early_is_recorded_when_the_model_reported_it() -> None:
    tracker = CostTracker()
    streamed = compile(tracker(chat_stream(_writer())))
    async with streamed.stream(ChatRequest.of("hi")) as chunks:
        async for _ in chunks:
            break
    assert tracker.usage["gpt-4o"].calls == 1


async def test_an_llm_primitive_called_from_inside_another_node_is_one_watched_call_with_its_own_span() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    model = _writer()
    llm = LLMPrimitive(model)

    @node
    async def draft_and_refine(request: ChatRequest) -> ChatResponse:  # seed style: the primitive called directly
        draft = await llm.execute(request)
        return await llm.execute(ChatRequest.of("refine " + draft.text[:20]))

    tracked = CostTrackingPrimitive(draft_and_refine)
    plan = compile(BudgetEnforcementPrimitive(tracked, budget_usd=ONE_CALL * 1.5))
    install_hook(hook)  # the direct calls run as plans of their own, with the installed hooks
    try:
        await plan.run(ChatRequest.of("hi"))
    finally:
        uninstall_hook(hook)
    usage = (await tracked.get_cost_report()).by_model["gpt-4o"]
    assert (usage.calls, usage.output_tokens) == (2, 600)  # both calls, not the reply returned
    spans = [s for s in exporter.get_finished_spans() if s.name == "gpt-4o"]
    assert len(spans) == 2 and all((s.attributes or {})["gen_ai.usage.output_tokens"] == 300 for s in spans)
    outer = next(s for s in exporter.get_finished_spans() if s.name == "draft_and_refine")
    assert "gen_ai.usage.output_tokens" not in (outer.attributes or {})  # not counted again on the caller
    with pytest.raises(BudgetExceededError):
        await plan.run(ChatRequest.of("hi"))
    assert len(model.requests) == 2


async def test_an_llm_subclass_whose_execute_calls_super_is_one_call() -> None:
    class Logged(LLMPrimitive):
        async def execute(self, input_data: ChatRequest, context: RunContext | None = None) -> ChatResponse:
            return await super().execute(input_data, context)

    model = _writer()
    tracked = CostTrackingPrimitive(Logged(model))
    await compile(tracked).run(ChatRequest.of("hi"))
    assert len(model.requests) == 1 and (await tracked.get_cost_report()).by_model["gpt-4o"].calls == 1


async def test_a_soft_budget_refuses_the_next_call_inside_a_node_once_it_is_reached() -> None:
    model = _writer()

    @node
    def again(response: ChatResponse) -> ChatRequest:
        return ChatRequest.of("again")

    flow = LLMPrimitive(model) >> again >> LLMPrimitive(model) >> again >> LLMPrimitive(model)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(flow), budget_usd=ONE_CALL / 3)
    with pytest.raises(BudgetExceededError, match="exhausted"):
        await compile(guarded).run(ChatRequest.of("hi"))
    assert len(model.requests) == 1  # a soft budget overshoots by one call at most, not by a node's worth


async def test_one_tracker_in_scope_twice_records_each_call_once() -> None:
    tracker = CostTracker()
    sub = compile(tracker(agent(FakeChatModel("gpt-4o-mini", reply=lambda r: "sub answer"), [], max_turns=2)))
    from tta_dev_primitives import ToolCall

    boss_model = FakeChatModel("gpt-4o", script=[ToolCall("c1", "research", '{"input": "q"}'), "final"])
    boss = compile(tracker(agent(boss_model, [tool(sub, name="research", description="Research.")], max_turns=3)))
    assert await boss.run("go") == "final"
    assert {m: u.calls for m, u in tracker.usage.items()} == {"gpt-4o": 2, "gpt-4o-mini": 1}
    twice = CostTracker()
    await compile(twice(twice(LLMPrimitive(FakeChatModel("gpt-4o"))))).run(ChatRequest.of("x"))
    assert twice.usage["gpt-4o"].calls == 1


async def own_client(response: ChatResponse) -> ChatResponse:
    return await FakeChatModel("gpt-4o").complete(ChatRequest.of(response.text))


def test_hard_budgets_refuse_model_calls_they_cannot_see_naming_the_node() -> None:
    cheap = LLMPrimitive(FakeChatModel("gpt-4o-mini", max_tokens=5))
    mixed = cheap >> node(own_client).declare(cost=0.003, model_calls=1)
    with pytest.raises(ConfigError, match="'own_client' calls a model its own way beside LLMPrimitive calls"):
        compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(mixed), budget_usd=0.01, hard=True))
    remote = LLMPrimitive(FakeChatModel("gpt-4o", max_tokens=5)).remote()
    with pytest.raises(ConfigError, match="calls a model on another backend, where no budget sees the call"):
        compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(remote), budget_usd=0.01, hard=True))
    async def own_request(request: ChatRequest) -> ChatResponse:
        return await FakeChatModel("gpt-4o").complete(request)

    declared = node(own_request).declare(cost=0.003)
    with pytest.raises(ConfigError, match=r"'own_request' declares cost= but not model_calls="):
        compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(declared), budget_usd=0.01, hard=True))
    compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(mixed), budget_usd=0.01))  # a soft budget checks at the boundary


async def test_a_reply_costing_more_than_its_reservation_is_warned_about() -> None:
    import attrs

    class Liar(FakeChatModel):
        async def complete(self, request: ChatRequest) -> ChatResponse:
            return attrs.evolve(await super().complete(request), output_tokens=10_000)

    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(Liar("gpt-4o", max_tokens=10))), budget_usd=1.0, hard=True)
    with pytest.warns(RuntimeWarning, match="more than the .* reserved for it"):
        await compile(guarded).run(ChatRequest.of("hi"))


async def test_a_soft_budget_holds_a_call_with_no_reply_cap_at_the_models_limits_while_in_flight() -> None:
    import anyio

    from tta_dev_primitives import FakeClock

    clock = FakeClock(auto_advance=False)
    model = FakeChatModel("gpt-4o", reply=lambda r: _words(300), latency=1.0, clock=clock)  # no max_tokens
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=ONE_CALL * 1.3)
    plan = compile(guarded)
    refused = 0

    async def call() -> None:
        nonlocal refused
        try:
            await plan.run(ChatRequest.of("hello"))
        except BudgetExceededError:
            refused += 1

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(call)
        await anyio.wait_all_tasks_blocked()
        assert len(model.requests) == 1 and refused == 19  # before: all 20 went out, $0 each while in flight
        clock.advance(1.0)
    assert guarded.budget.in_flight_usd == 0.0


async def test_a_stream_refused_as_it_is_opened_releases_its_reservation() -> None:
    class Eager(FakeChatModel):
        def stream(self, request: ChatRequest) -> AsyncIterator[str]:
            if len(request.prompt) > 3:
                raise ValueError("prompt too long")
            return super().stream(request)

    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(chat_stream(Eager("gpt-4o", max_tokens=300)) >> as_reply), budget_usd=0.005, hard=True)
    plan = compile(guarded)
    with pytest.raises(ValueError, match="too long"):
        await plan.run(ChatRequest.of("too long"))
    assert guarded.budget.in_flight_usd == 0.0
    await plan.run(ChatRequest.of("ok"))  # before: refused, its worst case held forever


async def test_a_stream_closed_early_settles_when_the_block_ends() -> None:
    import gc

    tracker = CostTracker()
    streamed = compile(tracker(chat_stream(_writer())))
    gc.disable()  # settled by closing the stream, not by collecting it
    try:
        async with streamed.stream(ChatRequest.of("hi")) as chunks:
            async for _ in chunks:
                break
        assert tracker.usage["gpt-4o"].calls == 1
    finally:
        gc.enable()


async def test_one_tracker_twice_around_a_node_calling_an_llm_directly_records_each_call_once() -> None:
    import attrs

    model = _writer()
    llm = LLMPrimitive(model)

    @node
    async def refine(request: ChatRequest) -> ChatResponse:
        reply = await llm.execute(request)
        return attrs.evolve(reply, text=reply.text.upper())  # a new reply object

    tracker = CostTracker()
    await compile(tracker(tracker(refine))).run(ChatRequest.of("hi"))
    assert len(model.requests) == 1 and tracker.usage["gpt-4o"].calls == 1


async def test_a_soft_budget_checks_each_direct_call_inside_a_node() -> None:
    model = _writer()
    llm = LLMPrimitive(model)

    @node
    async def three(request: ChatRequest) -> ChatResponse:
        await llm.execute(request)
        await llm.execute(ChatRequest.of("again"))
        return await llm.execute(ChatRequest.of("again"))

    with pytest.raises(BudgetExceededError, match="exhausted"):
        await compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(three), budget_usd=ONE_CALL / 3)).run(ChatRequest.of("hi"))
    assert len(model.requests) == 1


async def test_an_llm_subclass_whose_execute_is_called_from_a_node_runs_its_override_once() -> None:
    class Prefixed(LLMPrimitive):
        async def execute(self, input_data: ChatRequest, context: RunContext | None = None) -> ChatResponse:
            return await super().execute(ChatRequest.of("PREFIX " + input_data.prompt), context)

    prefixed = Prefixed(FakeChatModel("gpt-4o"))

    @node
    async def caller(request: ChatRequest) -> str:
        return (await prefixed.execute(request)).text

    assert await compile(caller).run(ChatRequest.of("hi")) == "[gpt-4o] PREFIX hi"
    assert (await prefixed.execute(ChatRequest.of("hi"))).text == "[gpt-4o] PREFIX hi"  # seed style, at top level
    assert (await compile(prefixed).run(ChatRequest.of("hi"))).text == "[gpt-4o] PREFIX hi"  # as a node


async def test_calls_returning_one_shared_reply_object_are_each_recorded() -> None:
    from tta_dev_primitives import mock_node

    reply = ChatResponse("ok", "gpt-4o", 100, 100)
    tracked = CostTrackingPrimitive(mock_node(ChatRequest, ChatResponse, return_value=reply, name="llm"))
    plan = compile(tracked)
    for _ in range(3):
        await plan.run(ChatRequest.of("hi"))
    assert tracked.tracker.usage["gpt-4o"].calls == 3


async def test_an_llm_called_directly_in_a_durable_node_gets_the_nodes_idempotency_key() -> None:
    from tta_dev_primitives import MemoryJournal, current_context

    keys: list[str | None] = []

    class Keyed(FakeChatModel):
        async def complete(self, request: ChatRequest) -> ChatResponse:
            keys.append(current_context().idempotency_key)
            return await super().complete(request)

    llm = LLMPrimitive(Keyed("gpt-4o"))

    async def step(request: ChatRequest) -> str:
        return (await llm.execute(request)).text

    await compile(node(step)).run(ChatRequest.of("hi"), run_id="r", journal=MemoryJournal())
    assert keys == ["r/0"]  # the node's call, not a run of its own with no key
