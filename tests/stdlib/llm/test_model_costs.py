"""Model spend: the dated price table, worst-case bounds in the analysis, usage into cost
tracking, budgets and spans, for agents and structured output as for any LLM node."""

from __future__ import annotations

import math

import anyio
import attrs
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import Budget, BudgetError, BudgetExceededError, ChatMessage, ChatRequest, ChatResponse, FakeChatModel, ToolCall, agent, compile, node, structured, tool
from tta_dev_primitives.observability import configure_tracing
from tta_dev_primitives.stdlib.llm import BudgetEnforcementPrimitive, CostTrackingPrimitive, LLMPrimitive
from tta_dev_primitives.stdlib.llm.prices import DEFAULT_PRICES, PRICES_AS_OF, ModelPrice, call_cost_bound, price_for
from tta_dev_primitives.stdlib.llm.providers import ModelCallError

pytestmark = pytest.mark.anyio


async def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def test_prices_are_dated_and_dated_model_ids_find_their_family() -> None:
    assert PRICES_AS_OF == "2026-03-21"
    assert price_for("gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["gpt-4o-mini"]  # not gpt-4o's
    assert price_for("gpt-4o-2024-08-06") == DEFAULT_PRICES["gpt-4o"]
    assert price_for("claude-sonnet-4-5-20250929") == DEFAULT_PRICES["claude-sonnet-4-5"]  # not claude-sonnet-4's
    assert price_for("claude-opus-4-1-20250805") == DEFAULT_PRICES["claude-opus-4-1"]
    assert price_for("gpt-4") is None and price_for("gpt-4omni") is None and price_for("llama3") is None
    # a suffix other than a snapshot date is another model: no guessed (under-)price
    assert price_for("gpt-4o-audio-preview") is None and price_for("o3-deep-research") is None
    assert price_for("o3-pro") == DEFAULT_PRICES["o3-pro"] != DEFAULT_PRICES["o3"]
    assert price_for("gpt-5-pro-2025-10-06") == DEFAULT_PRICES["gpt-5-pro"]
    assert price_for("claude-3-5-haiku-latest") == DEFAULT_PRICES["claude-3-5-haiku"]
    assert price_for("llama3", {**DEFAULT_PRICES, "llama3": ModelPrice(0, 0)}) == ModelPrice(0, 0)


def test_no_providers_table_shadows_anothers_price() -> None:
    """DEFAULT_PRICES merges one table per provider, keyed by model id: an id two providers
    share must carry the same price in both, or the later table would silently reprice the
    earlier provider's calls."""
    from tta_dev_primitives.stdlib.llm import prices

    tables = {name: table for name, table in vars(prices).items() if name.startswith("_") and name.isupper() and isinstance(table, dict)}
    assert len(tables) >= 9  # OpenAI, Anthropic, Bedrock, Gemini, Groq, DeepSeek, Together, OpenRouter, Mistral
    seen: dict[str, tuple[str, ModelPrice]] = {}
    for name, table in tables.items():
        for model, price in table.items():
            earlier = seen.setdefault(model, (name, price))
            assert (earlier[1].input_per_million, earlier[1].output_per_million) == (price.input_per_million, price.output_per_million), (model, earlier[0], name)


def test_a_calls_worst_case_comes_from_its_bounds_and_price() -> None:
    assert call_cost_bound(FakeChatModel("gpt-4o-mini", max_tokens=1000, max_input_tokens=10_000)) == pytest.approx(
        (10_000 * 0.15 + 1000 * 0.60) / 1e6
    )
    # no bounds given: the context window and the longest reply from the table
    assert call_cost_bound(FakeChatModel("gpt-4o")) == pytest.approx((128_000 * 2.50 + 16_384 * 10.00) / 1e6)
    assert call_cost_bound(FakeChatModel("fake-small")) is None  # no context window known
    assert call_cost_bound(FakeChatModel("unknown-model", max_tokens=1, max_input_tokens=1)) is None


def test_agent_analysis_counts_model_calls_and_cost_over_turns_and_retries() -> None:
    model = FakeChatModel("gpt-4o-mini", max_tokens=1000, max_input_tokens=10_000)
    plan = compile(agent(model, [tool(weather)], max_turns=5).retry(max_attempts=2, jitter=False))
    analysis = plan.analysis
    assert analysis is not None
    assert analysis.model_calls == 5 * 3 * 2  # turns, the agent's own retry of each call, the retry around it all
    assert analysis.cost == pytest.approx(30 * call_cost_bound(model))  # type: ignore[operator]
    assert "worst-case LLM calls 30" in plan.explain()
    alone = compile(agent(model, [tool(weather)], max_turns=5, retry=None)).analysis
    assert alone is not None and alone.model_calls == 5 and alone.cost == pytest.approx(5 * call_cost_bound(model))  # type: ignore[operator]


def test_a_compile_time_budget_refuses_an_agent_that_could_overspend() -> None:
    model = FakeChatModel("gpt-4o", max_tokens=2000, max_input_tokens=100_000)  # $0.27 per call at worst
    with pytest.raises(BudgetError, match=r"worst-case cost \$2.43 exceeds"):  # 3 turns of 3 attempts
        compile(agent(model, [tool(weather)], max_turns=3), budget=Budget(max_cost=1.0))
    compile(agent(model, [tool(weather)], max_turns=3, retry=None), budget=Budget(max_cost=1.0))


async def test_usage_flows_into_cost_tracking_through_an_agent() -> None:
    model = FakeChatModel("gpt-4o-mini-2024-07-18", script=[ToolCall("c1", "weather", '{"input": "Oslo"}'), "Sunny in Oslo."])
    tracked = CostTrackingPrimitive(LLMPrimitive(model))
    assert await compile(agent(tracked, [tool(weather)], max_turns=3)).run("Weather in Oslo?") == "Sunny in Oslo."
    report = await tracked.get_cost_report()
    usage = report.by_model["gpt-4o-mini-2024-07-18"]
    assert usage.calls == 2 and usage.input_tokens > 0
    assert report.total_usd == pytest.approx(DEFAULT_PRICES["gpt-4o-mini"].cost(usage.input_tokens, usage.output_tokens))


async def test_a_budget_stops_an_agent_before_the_call_that_would_exceed_it() -> None:
    calls = [ToolCall(f"c{i}", "weather", '{"input": "Oslo"}') for i in range(10)]
    model = FakeChatModel("gpt-4o", script=calls)
    tracked = CostTrackingPrimitive(LLMPrimitive(model))
    guarded = BudgetEnforcementPrimitive(tracked, budget_usd=0.0002)
    with pytest.raises(BudgetExceededError):
        await compile(agent(guarded, [tool(weather)], max_turns=10)).run("Weather, again and again " * 10)
    report = await guarded.get_cost_report()
    assert report.total_usd >= 0.0002 and len(model.requests) < 10


@attrs.frozen
class City:
    name: str
    population: int


async def test_structured_output_over_a_tracked_node() -> None:
    model = FakeChatModel("gpt-4o-mini", script=['{"name": "Oslo", "population": 709000}'])
    tracked = CostTrackingPrimitive(LLMPrimitive(model))
    assert await compile(structured(tracked, City)).run(ChatRequest.of("Oslo?")) == City("Oslo", 709000)
    assert (await tracked.get_cost_report()).by_model["gpt-4o-mini"].calls == 1


async def test_the_fake_model_refuses_requests_over_its_input_bound_like_a_provider() -> None:
    model = FakeChatModel("gpt-4o-mini", max_input_tokens=3)
    with pytest.raises(ModelCallError) as info:
        await model.complete(ChatRequest.of("one two three four"))
    assert info.value.status == 400
    assert (await FakeChatModel("fake-small", reply=lambda r: "a b c d e", max_tokens=2).complete(ChatRequest.of("x"))).text == "a b"


async def test_every_model_call_puts_its_usage_on_the_span() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    model = FakeChatModel("gpt-4o-mini", script=[ToolCall("c1", "weather", '{"input": "Oslo"}'), "done"])
    await compile(agent(model, [tool(weather)], max_turns=3)).with_hooks(hook).run("Oslo?")
    spans = [s for s in exporter.get_finished_spans() if s.name == "gpt-4o-mini"]
    assert len(spans) == 2
    for span in spans:
        attributes = span.attributes or {}
        assert attributes["gen_ai.provider.name"] == "fake" and attributes["gen_ai.response.model"] == "gpt-4o-mini"
        assert int(attributes["gen_ai.usage.input_tokens"]) > 0  # type: ignore[call-overload]


def test_model_calls_over_a_map_are_unbounded_and_declared_calls_count() -> None:
    import math

    from tta_dev_primitives import for_each, node

    llm = LLMPrimitive(FakeChatModel("gpt-4o-mini", max_tokens=10, max_input_tokens=100))
    plan = compile(for_each(llm))
    assert plan.analysis is not None and math.isinf(plan.analysis.model_calls) and math.isinf(plan.analysis.cost)
    assert "worst-case LLM calls unbounded" in plan.explain()

    def calls_a_model_its_own_way(prompt: str) -> str:
        return prompt

    hidden = compile(node(calls_a_model_its_own_way).declare(model_calls=3).retry(max_attempts=2, jitter=False))
    assert hidden.analysis is not None and hidden.analysis.model_calls == 6
    assert "model_calls=3" in hidden.explain()


async def test_a_sub_plan_tool_takes_the_parents_hooks() -> None:
    from tta_dev_primitives import RunContext
    from tta_dev_primitives.executor._hooks import Hook, NodeInfo

    seen: list[str] = []

    class Names(Hook):
        def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
            seen.append(node.name)
            return None

    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    sub = compile(agent(FakeChatModel("fake-small", script=[ToolCall("s1", "lookup", '{"input": "k"}'), "found"]), [tool(lookup)], max_turns=3, name="researcher"))
    boss = FakeChatModel("fake-large", script=[ToolCall("b1", "researcher", '{"input": "q"}'), "done"])
    parent = compile(agent(boss, [sub.as_tool(description="Research.")], max_turns=3)).with_hooks(Names())
    assert await parent.run("go") == "done"
    assert seen.count("fake-small") == 2 and seen.count("lookup") == 1 and seen.count("fake-large") == 2


async def test_concurrent_calls_reserve_their_worst_case_under_a_budget() -> None:
    model = FakeChatModel("gpt-4o-mini", max_tokens=50, max_input_tokens=1000)  # $0.00018 per call at worst
    tracked = CostTrackingPrimitive(LLMPrimitive(model))
    plan = compile(BudgetEnforcementPrimitive(tracked, budget_usd=0.0003))
    results: list[object] = []

    async def one() -> None:
        try:
            results.append(await plan.run(ChatRequest.of("hello")))
        except BudgetExceededError as error:
            results.append(error)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(one)
    from tta_dev_primitives.stdlib.llm.prices import request_cost_bound

    reserve = request_cost_bound(model, ChatRequest.of("hello"))  # the request's own worst case, under the static one
    assert reserve is not None and reserve < 0.00018
    admitted = math.ceil(0.0003 / reserve)  # each starts while the reservations before it leave room
    assert 2 < admitted < 20 and len(model.requests) == admitted
    assert sum(isinstance(r, BudgetExceededError) for r in results) == 20 - admitted
    assert any("reserved by calls in flight" in str(r) for r in results if isinstance(r, BudgetExceededError))


def test_cost_tracking_with_your_prices_prices_the_worst_case_too() -> None:
    from tta_dev_primitives.stdlib.llm import ModelPrice

    model = FakeChatModel("my-llama", max_tokens=1000, max_input_tokens=10_000)
    prices = {**DEFAULT_PRICES, "my-llama": ModelPrice(10.0, 20.0)}
    plan = compile(agent(CostTrackingPrimitive(LLMPrimitive(model), prices=prices), [], max_turns=2))
    assert plan.analysis is not None and plan.analysis.cost == pytest.approx(2 * 3 * (10_000 * 10 + 1000 * 20) / 1e6)  # 2 turns, 3 attempts
    with pytest.raises(BudgetError):
        compile(agent(CostTrackingPrimitive(LLMPrimitive(model), prices=prices), [], max_turns=2), budget=Budget(max_cost=0.05))
    assert compile(agent(LLMPrimitive(model, prices=prices), [], max_turns=2)).analysis.cost == plan.analysis.cost  # type: ignore[union-attr]


def test_an_agent_has_a_latency_bound_once_its_model_and_tools_do() -> None:
    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    llm = LLMPrimitive(FakeChatModel("gpt-4o-mini", max_tokens=10, max_input_tokens=100)).timeout(2.0)
    bounded = tool(node(lookup).declare(max_latency=0.5))
    plan = compile(agent(llm, [bounded], max_turns=3))
    assert plan.analysis is not None and plan.analysis.unbounded == ()
    # a turn: up to 3 attempts of the model's 2 s (the default retry) with up to 30 s between them
    # (a provider's Retry-After, capped at max_delay), then the tool
    assert plan.analysis.latency == pytest.approx(3 * (3 * 2.0 + 2 * 30.0 + 0.5) + 4 * 0.001 + 2 * 0.001)
    unbounded_tool = compile(agent(llm, [tool(lookup)], max_turns=3))
    assert unbounded_tool.analysis is not None and unbounded_tool.analysis.unbounded == ("lookup",)  # not the model: its Timeout caps it


async def test_a_reply_from_an_unpriced_model_is_kept_with_its_usage_and_one_warning() -> None:
    import warnings

    from tta_dev_primitives.stdlib.llm import UnpricedModelWarning

    tracked = CostTrackingPrimitive(LLMPrimitive(FakeChatModel("my-new-model", reply=lambda r: "a paid answer")))
    plan = compile(tracked)
    with pytest.warns(UnpricedModelWarning, match="no price for model 'my-new-model'; its usage is recorded"):
        assert (await plan.run(ChatRequest.of("hello there"))).text == "a paid answer"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per tracker and model
        await plan.run(ChatRequest.of("again"))
    report = await tracked.get_cost_report()
    usage = report.by_model["my-new-model"]
    assert (usage.calls, usage.input_tokens, usage.output_tokens, usage.cost_usd) == (2, 3, 6, None)
    assert report.unpriced_models == ("my-new-model",) and report.total_usd == 0.0
    assert usage.summary() == "calls=2 in=3 out=6 cost unknown (no price)"


def _request(words: int, max_tokens: int | None = None) -> ChatRequest:
    return attrs.evolve(ChatRequest.of(" ".join(["word"] * words)), max_tokens=max_tokens)


async def _spend_until_refused(guarded: BudgetEnforcementPrimitive, request: ChatRequest, calls: int = 100) -> tuple[int, str]:
    plan = compile(guarded)
    for made in range(calls):
        try:
            await plan.run(request)
        except BudgetExceededError as error:
            return made, str(error)
    return calls, ""


async def test_a_hard_budget_is_never_exceeded_where_a_soft_one_overshoots() -> None:
    def long_reply(request: ChatRequest) -> str:
        return " ".join(["token"] * 400)

    def guarded(hard: bool) -> BudgetEnforcementPrimitive:
        model = FakeChatModel("gpt-4o", reply=long_reply, max_tokens=300)  # $0.003 of reply per call
        return BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=0.005, hard=hard)

    soft = guarded(False)
    made, _ = await _spend_until_refused(soft, _request(20))
    assert made == 2 and (await soft.get_cost_report()).total_usd > 0.005  # the second call was let through at $0.003
    hard = guarded(True)
    made, refusal = await _spend_until_refused(hard, _request(20))
    report = await hard.get_cost_report()
    assert made == 1 and report.total_usd <= 0.005 and report.remaining_usd == pytest.approx(0.005 - report.total_usd)
    assert "hard LLM budget of $0.005 would be exceeded" in refusal and "may cost up to $0.003" in refusal
    # the request's own max_tokens lowers the reservation: smaller calls still fit
    made, _ = await _spend_until_refused(hard, _request(20, max_tokens=50))
    assert made >= 2 and (await hard.get_cost_report()).total_usd <= 0.005


async def test_concurrent_calls_under_a_hard_budget_never_spend_past_it() -> None:
    model = FakeChatModel("gpt-4o-mini", reply=lambda r: " ".join(["t"] * 100), max_tokens=100)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=0.0005, hard=True)
    plan = compile(guarded)
    outcomes: list[object] = []

    async def one() -> None:
        try:
            outcomes.append(await plan.run(_request(30)))
        except BudgetExceededError as error:
            outcomes.append(error)

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(one)
    report = await guarded.get_cost_report()
    made = sum(not isinstance(o, BudgetExceededError) for o in outcomes)
    assert 1 <= made < 50 and len(model.requests) == made
    assert report.total_usd <= 0.0005 and guarded.budget.in_flight_usd == pytest.approx(0.0)


def test_a_hard_budget_that_cannot_bound_its_calls_is_a_compile_time_error() -> None:
    from tta_dev_primitives import ConfigError

    unpriced = CostTrackingPrimitive(LLMPrimitive(FakeChatModel("my-new-model", max_tokens=10)))
    with pytest.raises(ConfigError, match=r"BudgetEnforcementPrimitive\(.*\): invalid hard=True; .*\(here: no price for model 'my-new-model'\)"):
        compile(BudgetEnforcementPrimitive(unpriced, budget_usd=1.0, hard=True))
    compile(BudgetEnforcementPrimitive(unpriced, budget_usd=1.0))  # a soft budget counts what it can
    with pytest.raises(ConfigError, match="hard"):
        BudgetEnforcementPrimitive(unpriced, budget_usd=1.0, hard="yes")  # type: ignore[arg-type]


async def test_a_hard_budget_refuses_a_call_with_no_reply_cap_until_the_request_gives_one() -> None:
    prices = {**DEFAULT_PRICES, "my-llama": ModelPrice(1.0, 2.0)}  # no context window, no longest reply
    tracked = CostTrackingPrimitive(LLMPrimitive(FakeChatModel("my-llama"), prices=prices), prices=prices)
    plan = compile(BudgetEnforcementPrimitive(tracked, budget_usd=1.0, hard=True))
    with pytest.raises(BudgetExceededError, match="the cost of this call has no bound"):
        await plan.run(_request(5))
    assert (await plan.run(_request(5, max_tokens=10))).text.startswith("[my-llama]")


async def test_a_hard_budget_counts_an_unpriced_reply_at_its_reservation() -> None:
    from tta_dev_primitives import ChatResponse
    from tta_dev_primitives.stdlib.llm import UnpricedModelWarning
    from tta_dev_primitives.stdlib.llm.prices import request_cost_bound

    class Renamed(FakeChatModel):
        """A client whose replies name a model the price table does not know."""

        async def complete(self, request: ChatRequest) -> ChatResponse:
            return attrs.evolve(await super().complete(request), model="gpt-4o-surprise")

    model = Renamed("gpt-4o", max_tokens=10)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=1.0, hard=True)
    with pytest.warns(UnpricedModelWarning):
        await compile(guarded).run(_request(5))
    assert guarded.budget.spent_usd == pytest.approx(request_cost_bound(model, _request(5)))  # type: ignore[arg-type]
    assert guarded.budget.spent_usd > 0


async def test_calling_an_llm_primitive_directly_gives_it_a_span_with_its_usage() -> None:
    from tta_dev_primitives import install_hook, uninstall_hook

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    llm = LLMPrimitive(FakeChatModel("gpt-4o-mini"))
    install_hook(hook)
    try:
        await llm.execute(ChatRequest.of("seed style call"))
    finally:
        uninstall_hook(hook)
    (span,) = exporter.get_finished_spans()
    attributes = span.attributes or {}
    assert span.name == "gpt-4o-mini" and attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 4


async def test_the_cost_tracker_leaves_usage_on_the_model_calls_span() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    tracked = CostTrackingPrimitive(LLMPrimitive(FakeChatModel("gpt-4o-mini")))
    await compile(tracked).with_hooks(hook).run(ChatRequest.of("one two"))
    spans = {s.name: s.attributes or {} for s in exporter.get_finished_spans()}
    assert spans["gpt-4o-mini"]["gen_ai.usage.input_tokens"] == 2
    assert "gen_ai.usage.input_tokens" not in spans["cost_tracking(gpt-4o-mini)"]  # counted once, on the call


def _words(n: int) -> str:
    return " ".join(["w"] * n)


@pytest.mark.parametrize("reply_words", [0, 1, 7, 400])
@pytest.mark.parametrize("call_words", [None, 1, 30, 2000])
@pytest.mark.parametrize(("model_cap", "request_cap"), [(5, None), (None, 12), (50, 3), (1, 1)])
async def test_a_requests_bound_is_never_below_what_the_fake_model_charges(
    reply_words: int, call_words: int | None, model_cap: int | None, request_cap: int | None
) -> None:
    from tta_dev_primitives.stdlib.llm.prices import request_cost_bound

    reply: list[ToolCall] | str = [ToolCall("c1", "t", _words(call_words))] if call_words is not None else _words(reply_words)
    model = FakeChatModel("fake-large", script=[reply], max_tokens=model_cap)
    request = attrs.evolve(ChatRequest.of(_words(reply_words + 3)), max_tokens=request_cap)
    bound = request_cost_bound(model, request)
    response = await model.complete(request)
    cap = min(c for c in (model_cap, request_cap) if c is not None)
    assert response.output_tokens <= cap and bound is not None
    assert DEFAULT_PRICES["fake-large"].cost(response.input_tokens, response.output_tokens) <= bound


def test_reply_caps_must_be_positive() -> None:
    from tta_dev_primitives import ConfigError

    with pytest.raises(ConfigError, match="max_tokens"):
        attrs.evolve(ChatRequest.of("x"), max_tokens=-50)
    with pytest.raises(ConfigError, match="max_tokens"):
        FakeChatModel("fake-large", max_tokens=0)


async def test_a_fake_model_is_bounded_by_what_it_enforces_not_by_the_price_tables_limits() -> None:
    model = FakeChatModel("gpt-4o", reply=lambda r: _words(20_000))  # a fake enforces no context window or longest reply
    plan = compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=10.0, hard=True))
    with pytest.raises(BudgetExceededError, match="has no bound"):
        await plan.run(ChatRequest.of("hi"))


async def test_a_hard_budget_bounds_each_model_call_inside_with_the_request_it_gets() -> None:
    @node
    def add_context(request: ChatRequest) -> ChatRequest:  # a step before the model grows the request
        return attrs.evolve(request, messages=(ChatMessage("system", _words(5000)), *request.messages))

    model = FakeChatModel("fake-large", max_tokens=1)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(add_context >> LLMPrimitive(model)), budget_usd=0.005, hard=True)
    with pytest.raises(BudgetExceededError, match="may cost up to"):
        await compile(guarded).run(_request(1, max_tokens=1))
    assert model.requests == [] and (await guarded.get_cost_report()).total_usd == 0.0


async def test_every_model_call_inside_a_tracked_node_is_recorded_and_budgeted() -> None:
    draft = FakeChatModel("fake-small", reply=lambda r: _words(200), max_tokens=200)
    critic = FakeChatModel("fake-large", reply=lambda r: _words(300), max_tokens=300)

    @node
    def critique(response: ChatResponse) -> ChatRequest:
        return attrs.evolve(ChatRequest.of(response.text), max_tokens=300)

    guarded = BudgetEnforcementPrimitive(
        CostTrackingPrimitive(LLMPrimitive(draft) >> critique >> LLMPrimitive(critic)), budget_usd=0.02, hard=True
    )
    plan = compile(guarded)
    made = 0
    for _ in range(10):
        try:
            await plan.run(_request(10))
            made += 1
        except BudgetExceededError:
            break
    report = await guarded.get_cost_report()
    assert set(report.by_model) == {"fake-small", "fake-large"}  # the draft's cost is counted too
    assert report.by_model["fake-small"].calls >= made >= 1 and report.total_usd <= 0.02
    assert guarded.budget.in_flight_usd == 0.0


async def test_a_wrapped_llm_under_your_prices_is_bounded_at_your_prices() -> None:
    prices = {**DEFAULT_PRICES, "fake-large": ModelPrice(2500.0, 10000.0)}
    model = FakeChatModel("fake-large", max_tokens=100, max_input_tokens=1000, reply=lambda r: _words(100))
    tracked = CostTrackingPrimitive(LLMPrimitive(model).retry(max_attempts=2), prices=prices)
    with pytest.raises(BudgetExceededError, match="would be exceeded"):
        await compile(BudgetEnforcementPrimitive(tracked, budget_usd=1.0, hard=True)).run(ChatRequest.of("hello"))
    assert model.requests == []


async def test_cancelled_and_failed_calls_release_their_reservations_exactly() -> None:
    from tta_dev_primitives import FakeClock

    clock = FakeClock(auto_advance=False)
    model = FakeChatModel("gpt-4o-mini", max_tokens=20, latency=5.0, clock=clock)
    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(model)), budget_usd=1.0, hard=True)
    plan = compile(guarded)
    async with anyio.create_task_group() as group:
        for _ in range(7):
            group.start_soon(plan.run, _request(3))
        await anyio.wait_all_tasks_blocked()
        assert guarded.budget.in_flight_usd > 0
        group.cancel_scope.cancel()
    assert guarded.budget.in_flight_usd == 0.0 and guarded.budget.spent_usd == 0.0


async def test_an_llm_subclass_overriding_its_call_is_still_watched_by_budgets() -> None:
    class Mine(LLMPrimitive):
        async def complete(self, request: ChatRequest) -> ChatResponse:
            return await self.model.complete(request)

    model = FakeChatModel("gpt-4o", reply=lambda r: _words(300), max_tokens=300)
    plan = compile(BudgetEnforcementPrimitive(CostTrackingPrimitive(Mine(model)), budget_usd=0.005, hard=True))
    await plan.run(_request(20))
    with pytest.raises(BudgetExceededError):
        await plan.run(_request(20))
    assert len(model.requests) == 1


async def test_a_tracker_charges_only_calls_that_were_made() -> None:
    model = FakeChatModel("gpt-4o-mini", reply=lambda r: " padded answer ", max_tokens=50)

    @node
    def strip(response: ChatResponse) -> ChatResponse:  # post-processing returns a new reply object
        return attrs.evolve(response, text=response.text.strip())

    cached = CostTrackingPrimitive(LLMPrimitive(model).cached() >> strip)
    plan = compile(cached)
    for _ in range(3):
        await plan.run(ChatRequest.of("same question"))
    report = await cached.get_cost_report()
    assert len(model.requests) == 1 and report.by_model["gpt-4o-mini"].calls == 1  # cache hits and the copy cost nothing


async def test_a_node_with_a_declared_cost_is_reserved_once_not_again_inside() -> None:
    from tta_dev_primitives.stdlib.llm.prices import request_cost_bound

    model = FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=100)
    llm = LLMPrimitive(model)
    bound = request_cost_bound(model, ChatRequest.of("w w w"))
    assert bound is not None

    async def hidden(request: ChatRequest) -> ChatResponse:  # calls the model its own way
        return await llm.execute(request)

    guarded = BudgetEnforcementPrimitive(
        CostTrackingPrimitive(node(hidden).declare(cost=bound, model_calls=1)), budget_usd=bound * 1.5, hard=True
    )
    assert (await compile(guarded).run(ChatRequest.of("w w w"))).model == "gpt-4o-mini"
    assert guarded.budget.in_flight_usd == 0.0 and (await guarded.get_cost_report()).by_model["gpt-4o-mini"].calls == 1


async def test_a_watcher_that_raises_does_not_leak_a_reservation() -> None:
    import warnings

    class Renamed(FakeChatModel):
        async def complete(self, request: ChatRequest) -> ChatResponse:
            return attrs.evolve(await super().complete(request), model="gpt-4o-surprise")

    guarded = BudgetEnforcementPrimitive(CostTrackingPrimitive(LLMPrimitive(Renamed("gpt-4o", max_tokens=10))), budget_usd=1.0, hard=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tracker's UnpricedModelWarning raises
        with pytest.raises(Exception, match="no price for model 'gpt-4o-surprise'"):
            await compile(guarded).run(_request(3))
    assert guarded.budget.in_flight_usd == 0.0 and guarded.budget.spent_usd > 0  # settled, at its reservation
