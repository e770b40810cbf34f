"""agent(): a bounded loop of model turns and concurrent tool calls, on the scripted fake model."""

from __future__ import annotations

import json

import attrs
import anyio
import anyio.lowlevel
import pytest

from tta_dev_primitives import ConfigError, FakeChatModel, LoopLimitError, RunContext, ToolCall, compile, node, tool
from tta_dev_primitives.stdlib.llm import agent

pytestmark = pytest.mark.anyio


@attrs.frozen
class City:
    name: str


@attrs.frozen
class Trip:
    city: str
    temperature: int


running = 0
peak = 0


async def weather(city: City) -> int:
    """Today's temperature in a city, in degrees Celsius."""
    global running, peak
    running += 1
    peak = max(peak, running)
    await anyio.lowlevel.checkpoint()  # an API call: the other call of the turn runs meanwhile
    running -= 1
    return {"Oslo": 4, "Rome": 19}.get(city.name, 10)


def population(city: City) -> int:
    """The population of a city."""
    return {"Oslo": 700_000}.get(city.name, 0)


async def test_tool_calls_of_one_turn_run_concurrently_and_the_answer_ends_the_loop() -> None:
    model = FakeChatModel(
        script=[
            [ToolCall("1", "weather", '{"name": "Oslo"}'), ToolCall("2", "weather", '{"name": "Rome"}')],
            "Rome is warmer (19 C vs 4 C).",
        ]
    )
    plan = compile(agent(model, [tool(weather), tool(population)], max_turns=4))
    assert await plan.run("Where is it warmer, Oslo or Rome?") == "Rome is warmer (19 C vs 4 C)."
    assert peak == 2
    second = model.requests[1]
    assert [m.role for m in second.messages] == ["user", "assistant", "tool", "tool"]
    assert [m.content for m in second.messages[2:]] == ["4", "19"]
    assert [t.name for t in second.tools] == ["weather", "population"]


async def test_bad_arguments_and_unknown_tools_go_back_to_the_model() -> None:
    model = FakeChatModel(script=[[ToolCall("1", "weather", '{"name": 5}'), ToolCall("2", "forecast", "{}")], "sorry"])
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("?") == "sorry"
    errors = [m.content for m in model.requests[1].messages if m.role == "tool"]
    assert errors[0].startswith("error:") and "$.name" in errors[0]
    assert errors[1] == "error: no tool named 'forecast'; the tools are ['weather']"


async def test_a_secret_in_a_tools_error_is_masked_before_the_next_model_request() -> None:
    async def lookup(city: City) -> int:
        """Look a city up in a paid API."""
        raise ConnectionError(f"GET https://maps.example.com/?q={city.name}&key=sk-proj-0123456789abcdefghijklmnop: timed out")

    model = FakeChatModel(script=[ToolCall("1", "lookup", '{"name": "Oslo"}'), "the API is down"])
    assert await compile(agent(model, [tool(lookup)], max_turns=2)).run("?") == "the API is down"
    sent = model.requests[1].messages[-1].content
    assert sent == "error: ConnectionError: GET https://maps.example.com/?q=Oslo&key=*** timed out"


async def test_a_typed_output_is_validated_and_re_asked_within_the_turn_budget() -> None:
    model = FakeChatModel(
        script=[ToolCall("1", "weather", '{"name": "Rome"}'), '{"city": "Rome"}', '{"city": "Rome", "temperature": 19}']
    )
    plan = compile(agent(model, [tool(weather)], max_turns=3, output=Trip))
    assert await plan.run("warmest?") == Trip("Rome", 19)
    assert plan.output_type is Trip


async def test_the_turn_budget_is_a_bound_the_plan_knows() -> None:
    model = FakeChatModel(script=[ToolCall(str(i), "population", '{"name": "Oslo"}') for i in range(5)])
    plan = compile(agent(model, [tool(weather), tool(population)], max_turns=2, name="researcher"))
    with pytest.raises(LoopLimitError, match="loop 'researcher' ran its body 2 times") as caught:
        await plan.run("how many people?")
    assert caught.value.state.turns == 2  # type: ignore[attr-defined]
    # the last turn's calls were not run (no model call would read them): they are pending
    assert caught.value.state.pending == (ToolCall("1", "population", '{"name": "Oslo"}'),)  # type: ignore[attr-defined]
    assert [m.role for m in caught.value.state.request.messages] == ["user", "assistant", "tool", "assistant"]  # type: ignore[attr-defined]
    text = plan.explain()
    assert "max_iterations=2" in text and "tools=['weather', 'population']" in text
    assert plan.analysis is not None and plan.analysis.max_attempts >= 2


async def test_a_compiled_plan_can_be_a_tool_of_an_agent() -> None:
    def shout(text: str) -> str:
        return text.upper()

    sub = compile(node(shout)).as_tool(name="shout", description="Upper-case a text.")
    model = FakeChatModel(script=[ToolCall("1", "shout", '{"input": "hi"}'), "done"])
    assert await compile(agent(model, [sub], max_turns=2)).run("?") == "done"
    assert model.requests[1].messages[-1].content == "HI"


async def test_calls_past_max_tool_calls_in_one_turn_are_answered_with_an_error_not_run() -> None:
    ran: list[str] = []

    async def fetch(key: str) -> str:
        """Fetch a key."""
        ran.append(key)
        return key.upper()

    calls = [ToolCall(f"c{i}", "fetch", json.dumps({"input": f"k{i}"})) for i in range(10)]
    model = FakeChatModel(script=[calls, "done"])
    assert await compile(agent(model, [tool(fetch)], max_turns=3, max_tool_calls=3)).run("go") == "done"
    assert sorted(ran) == ["k0", "k1", "k2"]
    replies = [m.content for m in model.requests[1].messages if m.role == "tool"]
    assert replies[:3] == ["K0", "K1", "K2"] and len(replies) == 10
    assert all(r.startswith("error: not run: at most 3 tool calls per turn") for r in replies[3:])


def test_the_analysis_counts_max_tool_calls_of_the_costliest_tool_per_turn() -> None:
    async def cheap(key: str) -> str:
        """Cheap."""
        return key

    async def dear(key: str) -> str:
        """Dear."""
        return key

    tools = [tool(node(cheap).declare(cost=0.001)), tool(node(dear).declare(cost=0.01))]
    plan = compile(agent(FakeChatModel(), tools, max_turns=2, max_tool_calls=3, retry=None))
    assert plan.analysis is not None
    assert plan.analysis.cost == pytest.approx(2 * 3 * 0.01)
    assert plan.analysis.width == 3 and (plan.analysis.max_attempts, plan.analysis.max_attempts_node) == (6, "cheap")
    assert "max_calls=3" in plan.explain()


def test_max_tool_calls_must_be_a_positive_int() -> None:
    with pytest.raises(ConfigError, match="max_tool_calls"):
        agent(FakeChatModel(), [], max_turns=2, max_tool_calls=0)


def test_a_sub_agent_used_as_a_tool_is_part_of_the_parents_plan() -> None:
    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    worker = FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=1000)
    sub = compile(agent(worker, [tool(lookup)], max_turns=5, max_tool_calls=1, name="researcher"))
    assert sub.analysis is not None and sub.analysis.model_calls == 5 * 3  # 5 turns, each call up to 3 attempts (the default retry)
    boss = FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=1000)
    parent = compile(agent(boss, [sub.as_tool(description="Research a question.")], max_turns=2, max_tool_calls=2))
    assert parent.analysis is not None
    assert parent.analysis.model_calls == 2 * 3 + 2 * 2 * 15  # its own turns, then 2 calls a turn of a 15-call sub-agent
    assert parent.analysis.cost == pytest.approx(sub.analysis.cost * 4 + 2 * 3 * (1000 * 0.15 + 100 * 0.60) / 1e6)
    text = parent.explain()  # the sub-agent's own ops are part of the parent's plan
    assert "loop 'researcher'" in text and "tools 'tools(lookup)'" in text


class Point:
    def __init__(self) -> None:
        self.x = 1


async def test_a_result_that_cannot_be_sent_as_json_comes_back_as_the_tools_error() -> None:
    def point(n: int) -> Point:
        """A point."""
        return Point()

    model = FakeChatModel(script=[ToolCall("c1", "point", '{"input": 1}'), "ok"])
    assert await compile(agent(model, [tool(point)], max_turns=3)).run("go") == "ok"
    reply = model.requests[1].messages[-1]
    assert reply.role == "tool" and reply.content.startswith("error: point ran but returned a Point, which cannot be sent as JSON")


async def test_a_tool_that_raises_a_stray_cancellation_fails_alone_on_asyncio(anyio_backend: str) -> None:
    import asyncio

    if anyio_backend != "asyncio":
        pytest.skip("a stray CancelledError from a cancelled future is an asyncio thing")

    async def shared(key: str) -> str:
        """Waits on a request someone else gives up on."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.cancel()
        return await future

    async def echo(text: str) -> str:
        """Echo."""
        return text

    for calls in ([ToolCall("c1", "shared", '{"input": "k"}')], [ToolCall("c1", "shared", '{"input": "k"}'), ToolCall("c2", "echo", '{"input": "hi"}')]):
        model = FakeChatModel(script=[calls, "done"])
        assert await compile(agent(model, [tool(shared), tool(echo)], max_turns=3)).run("go") == "done"
        answers = {m.tool_call_id: m.content for m in model.requests[1].messages if m.role == "tool"}
        assert answers["c1"] == "error: the call was cancelled (by the tool itself, not the agent)"
        assert answers.get("c2", "hi") == "hi"


async def test_cancelling_the_agent_cancels_its_tools() -> None:
    started = anyio.Event()

    async def slow(key: str) -> str:
        """Takes forever."""
        started.set()
        await anyio.sleep_forever()
        return key

    model = FakeChatModel(script=[[ToolCall("c1", "slow", '{"input": "a"}'), ToolCall("c2", "slow", '{"input": "b"}')], "done"])
    plan = compile(agent(model, [tool(slow)], max_turns=3))
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(plan.run, "go")
            await started.wait()
            scope.cancel()
    assert scope.cancelled_caught and len(model.requests) == 1


def test_a_tool_named_like_the_output_type_is_a_build_error() -> None:
    async def Trip(city: str) -> str:  # noqa: N802 - the clash under test
        """Plan a trip."""
        return city

    with pytest.raises(ConfigError, match="no tool named like the output type 'Trip'"):
        agent(FakeChatModel(), [tool(Trip)], max_turns=2, output=globals()["Trip"])


async def test_errors_no_model_can_fix_stop_the_agent_instead_of_going_to_the_model() -> None:
    from tta_dev_primitives.stdlib.llm.providers import ModelCallError

    async def misconfigured(key: str) -> str:
        """Needs a setting."""
        raise ConfigError("misconfigured", "api_url", "a URL", None)

    async def unauthorized(key: str) -> str:
        """Calls a model with a bad key."""
        raise ModelCallError("HTTP 401: bad key", provider="openai", model="m", status=401)

    for broken in (misconfigured, unauthorized):
        model = FakeChatModel(script=[ToolCall("c1", broken.__name__, '{"input": "k"}'), "done"])
        with pytest.raises((ConfigError, ModelCallError)):
            await compile(agent(model, [tool(broken)], max_turns=3)).run("go")
        assert len(model.requests) == 1


async def test_a_reply_cut_at_the_reply_cap_is_not_taken_as_the_answer() -> None:
    model = FakeChatModel(script=["a very long answer that goes on and on", "short"], max_tokens=4)
    assert await compile(agent(model, [], max_turns=3)).run("go") == "short"
    assert "cut off at the length limit" in model.requests[1].messages[-1].content



async def test_an_unfixable_error_among_concurrent_calls_is_reported_like_a_parallel_branchs() -> None:
    from tta_dev_primitives import ParallelError

    async def misconfigured(key: str) -> str:
        """Needs a setting."""
        raise ConfigError("misconfigured", "api_url", "a URL", None)

    async def fine(key: str) -> str:
        """Works."""
        return key

    calls = [ToolCall("c1", "fine", '{"input": "a"}'), ToolCall("c2", "misconfigured", '{"input": "b"}')]
    model = FakeChatModel(script=[calls, "done"])
    with pytest.raises(ParallelError) as caught:
        await compile(agent(model, [tool(fine), tool(misconfigured)], max_turns=3)).run("go")
    (error,) = caught.value.exceptions
    assert isinstance(error, ConfigError) and any("tool call 1 (misconfigured)" in n for n in error.__notes__)


async def test_a_scripted_fake_gives_concurrent_calls_successive_replies() -> None:
    from tta_dev_primitives import ChatRequest

    model = FakeChatModel(script=["a", "b", "c"])
    replies: list[str] = []

    async def ask() -> None:
        replies.append((await model.complete(ChatRequest.of("?"))).text)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(ask)
    assert sorted(replies) == ["a", "b", "c"]


async def test_a_fake_model_keeps_its_latest_requests_and_counts_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake serving a benchmark must not keep every request it was sent: the latest ones stay
    (for tests to read), the script still follows every call."""
    from tta_dev_primitives import ChatRequest
    from tta_dev_primitives.stdlib.llm import model as models

    monkeypatch.setattr(models, "REQUESTS_KEPT", 10)
    model = FakeChatModel(script=[str(i) for i in range(25)])
    replies = [(await model.complete(ChatRequest.of(f"q{i}"))).text for i in range(25)]
    assert replies == [str(i) for i in range(25)]  # the script follows the calls, not what is kept
    assert model.calls == 25 and len(model.requests) <= 10
    assert [r.prompt for r in model.requests[-3:]] == ["q22", "q23", "q24"]


async def test_sync_tools_run_in_threads_so_a_turns_calls_overlap() -> None:
    import threading
    import time

    inside: list[int] = []
    overlapped = threading.Event()

    def slow(key: str) -> str:
        """A blocking lookup."""
        inside.append(1)
        if len(inside) >= 2:
            overlapped.set()
        overlapped.wait(timeout=5)  # returns at once when another call is running at the same time
        time.sleep(0)
        return key

    calls = [ToolCall(f"c{i}", "slow", json.dumps({"input": f"k{i}"})) for i in range(2)]
    model = FakeChatModel(script=[calls, "done"])
    assert await compile(agent(model, [tool(slow)], max_turns=2)).run("go") == "done"
    assert overlapped.is_set()


def user_name(greeting: str, ctx: RunContext) -> str:
    """Greet the current user."""
    return f"{greeting}, {ctx.state['user']}"


async def test_a_tool_may_read_state_another_node_provides() -> None:
    greet = tool(node(user_name).declare(reads=["user"]), state_keys=["user"])
    model = FakeChatModel(script=[ToolCall("c1", "user_name", '{"input": "hi"}'), "done"])
    plan = compile(agent(model, [greet], max_turns=2), state_keys=["user"])
    assert await plan.run("go", context=RunContext(state={"user": "ada"})) == "done"
    assert model.requests[1].messages[-1].content == "hi, ada"
