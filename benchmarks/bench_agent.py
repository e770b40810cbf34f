"""A 5-turn tool-calling agent on a zero-cost model: framework overhead per turn.

Every case runs the same conversation: four turns that each call one tool (`lookup`), then a
turn that answers. The model decides from the conversation so far (so every run replays the same
five turns), and the tool is a plain async function.

The primary baseline is **plain dicts**: the loop written with nothing of ours, OpenAI-style
message dicts, tool calls as dicts with JSON arguments, and a stub model that is a plain async
function deciding from the message list (no token counting, no usage report, no checkpoint).
What `agent()` costs over it is what our agent turn costs over the least a hand-written loop can
do. Pairs measured on the same model:

- plain dicts (stub function) and `ours: agent(), stub model`: the agent over `StubChatModel`,
  the same stub in our types (it builds a `ChatResponse`, nothing else);
- by hand (FakeChatModel) and `ours: agent()`: the loop written over our own `FakeChatModel`
  and `ChatRequest`/`ChatMessage` types, and the agent over that model. This baseline moves
  with those types between versions (it is kept to compare with earlier runs);
- LangGraph: `create_react_agent` (langgraph.prebuilt) over a LangChain fake chat model;
- pydantic-ai: `Agent(FunctionModel(...), tools=[lookup])`.

Reports time per run and per turn, the ratio against both baselines (`vs plain dicts` first),
and the per-turn overhead of each of our rows over the baseline on its own model.

Then each provider client over its raw SDK call: for every provider whose SDK is installed, one
plain-text call made with the SDK alone and the same call through our client (`complete`:
request conversion, the input check, error translation, reading the reply, the usage report),
both against the same loopback server answering in that provider's wire format
(tests/fixtures/provider_wires). The difference is what our client adds to every model turn.

Run: python -m benchmarks.bench_agent
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, FakeChatModel, ToolCall, agent, compile, tool
from tta_dev_primitives.stdlib.llm.model import Reply

from .harness import Case, Result, _fmt, environment, measure

if TYPE_CHECKING:
    from tests.fixtures.provider_wires import Wire

TURNS = 5
SDKS = ("openai", "anthropic", "google-genai", "ollama", "groq", "mistralai", "boto3", "huggingface_hub")
TOOL_TURNS = TURNS - 1


async def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def scripted(request: ChatRequest) -> Reply:
    """Call `lookup` until it has answered four times, then reply."""
    answered = sum(1 for m in request.messages if m.role == "tool")
    if answered < TOOL_TURNS:
        return ToolCall(f"call_{answered}", "lookup", json.dumps({"input": f"k{answered}"}))
    return "done"


MODEL = FakeChatModel("fake-small", reply=scripted)
PLAN = compile(agent(MODEL, [tool(lookup)], max_turns=TURNS + 1))
TOOLS: dict[str, Callable[[str], Awaitable[str]]] = {"lookup": lookup}

Message = dict[str, Any]
"""An OpenAI-style chat message: role, content, and an assistant's tool calls."""


async def stub_model(messages: list[Message]) -> Message:
    """The zero-cost model of the plain-dict loop: the script of `scripted`, over dicts."""
    answered = sum(1 for m in messages if m["role"] == "tool")
    if answered < TOOL_TURNS:
        arguments = json.dumps({"input": f"k{answered}"})
        call = {"id": f"call_{answered}", "type": "function", "function": {"name": "lookup", "arguments": arguments}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"role": "assistant", "content": "done"}


async def plain_dicts() -> object:
    messages: list[Message] = [{"role": "user", "content": "go"}]
    for _ in range(TURNS + 1):
        message = await stub_model(messages)
        messages.append(message)
        calls = message.get("tool_calls")
        if not calls:
            return message["content"]
        for call in calls:
            function = call["function"]
            result = await TOOLS[function["name"]](json.loads(function["arguments"])["input"])
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    raise RuntimeError("too many turns")


class StubChatModel:
    """`stub_model` in our types: the same script, answering with a ChatResponse and doing
    nothing else (no token counting, no usage report, no checkpoint), so that the agent over it
    and the plain-dict loop run on models of the same (zero) cost."""

    model = "stub"
    provider = "stub"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        answered = sum(1 for m in request.messages if m.role == "tool")
        if answered < TOOL_TURNS:
            call = ToolCall(f"call_{answered}", "lookup", json.dumps({"input": f"k{answered}"}))
            return ChatResponse("", self.model, 0, 0, (call,), "tool_calls")
        return ChatResponse("done", self.model, 0, 0, (), "stop")

    def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        raise NotImplementedError("the benchmark's agent does not stream")


STUB_PLAN = compile(agent(StubChatModel(), [tool(lookup)], max_turns=TURNS + 1))


async def ours_on_stub() -> object:
    return await STUB_PLAN.run("go")


async def ours() -> object:
    return await PLAN.run("go")


async def by_hand() -> object:
    messages: list[ChatMessage] = [ChatMessage("user", "go")]
    for _ in range(TURNS + 1):
        response = await MODEL.complete(ChatRequest(messages))
        messages.append(response.message())
        if not response.tool_calls:
            return response.text
        for call in response.tool_calls:
            result = await TOOLS[call.name](json.loads(call.arguments)["input"])
            messages.append(ChatMessage("tool", result, tool_call_id=call.id))
    raise RuntimeError("too many turns")


def langgraph_case() -> Case | None:
    try:
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
        from langchain_core.outputs import ChatGeneration, ChatResult
        from langchain_core.tools import tool as lc_tool
        from langgraph.prebuilt import create_react_agent
    except ImportError:
        return None

    class ScriptedChat(GenericFakeChatModel):
        """The same script as a LangChain chat model (tools bound by the agent are ignored)."""

        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

        def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
            answered = sum(1 for m in messages if isinstance(m, ToolMessage))
            if answered < TOOL_TURNS:
                call = {"id": f"call_{answered}", "name": "lookup", "args": {"key": f"k{answered}"}}
                message = AIMessage(content="", tool_calls=[call])
            else:
                message = AIMessage(content="done")
            return ChatResult(generations=[ChatGeneration(message=message)])

        async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
            return self._generate(messages, stop, run_manager, **kwargs)

    graph = create_react_agent(ScriptedChat(messages=iter(())), [lc_tool(lookup)])

    async def run() -> object:
        return await graph.ainvoke({"messages": [("user", "go")]})

    return Case("LangGraph create_react_agent", run, TURNS)


def pydantic_ai_case() -> Case | None:
    try:
        from pydantic_ai import Agent
        from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import AgentInfo, FunctionModel
    except ImportError:
        return None

    def scripted_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        answered = sum(1 for m in messages for p in m.parts if isinstance(p, ToolReturnPart))
        if answered < TOOL_TURNS:
            return ModelResponse(parts=[ToolCallPart("lookup", {"key": f"k{answered}"}, tool_call_id=f"call_{answered}")])
        return ModelResponse(parts=[TextPart("done")])

    peer = Agent(FunctionModel(scripted_model), tools=[lookup])

    async def run() -> object:
        return (await peer.run("go")).output

    return Case("pydantic-ai Agent", run, TURNS)


PLAIN, BY_HAND = "plain dicts (stub function)", "by hand (FakeChatModel)"
PAIRS = {"ours: agent(), stub model": PLAIN, "ours: agent()": BY_HAND}
"""Each of our rows, and the baseline run on the same model."""


def ratio_table(title: str, results: Sequence[Result], baselines: Sequence[str], unit: str) -> str:
    """A Markdown table of medians, per-unit cost and the ratio against each of `baselines`."""
    base = {name: next(r for r in results if r.case.name == name).median_s for name in baselines}
    header = " | ".join(f"vs {name.split(' (')[0]}" for name in baselines)
    lines = [f"### {title}", "", f"| case | median per call | per {unit} | {header} |", "|---|---:|---:|" + "---:|" * len(baselines)]
    for r in results:
        ratios = " | ".join(f"{r.median_s / base[name]:.2f}x" for name in baselines)
        lines.append(f"| {r.case.name} | {_fmt(r.median_s)} | {_fmt(r.median_s / r.case.units)} | {ratios} |")
    return "\n".join(lines)


def own_code(model: Any, request: ChatRequest, raw: object, calls: int = 2000) -> float:
    """Seconds per call spent in our client's own code, without the SDK or the network: the
    input check, building the SDK call's arguments, reading the SDK's decoded reply (`raw`,
    from a real call) and reporting it. The loopback round trip varies by more than this from
    round to round, so it is timed apart."""
    start = time.perf_counter()
    for _ in range(calls):
        model._check_input(request)
        model._arguments(request)
        model._finish(model._read(raw, request))
    return (time.perf_counter() - start) / calls


async def client_overhead(stack: contextlib.AsyncExitStack) -> str:
    """Each provider client's `complete` against its raw SDK call, on its loopback server."""
    from tests.fixtures.provider_server import ProviderServer
    from tests.fixtures.provider_wires import WIRES, wire_named

    cases: list[tuple[str, Case, Case]] = []
    own: dict[str, float] = {}
    for name in sorted(WIRES):
        try:
            wire: Wire = wire_named(name)
        except ImportError:
            continue
        server = stack.enter_context(ProviderServer(default=wire.reply("done")).running())
        client = await stack.enter_async_context(wire.client(server.base_url))
        model = wire.chat_model(client)
        request = ChatRequest.of("go")

        async def raw(wire: Wire = wire, client: Any = client) -> object:
            return await wire.raw_call(client, "go")

        async def ours(model: Any = model, request: ChatRequest = request) -> object:
            return await model.complete(request)

        cases.append((name, Case(f"{name}: SDK call", raw), Case(f"{name}: our client", ours)))
        own[name] = own_code(model, request, await wire.raw_call(client, "go"))
    measured = {r.case.name: r for r in await measure([c for _, *pair in cases for c in pair], rounds=11, round_seconds=0.2)}
    lines = [
        "### Each provider client over its raw SDK call (loopback server)",
        "",
        "| provider | SDK call | our client | overhead per call (round by round) | ratio | our code per call |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, raw_case, ours_case in cases:
        raw, ours = measured[raw_case.name], measured[ours_case.name]
        # each round times both cases back to back: their difference round by round is steadier
        # than the difference of the medians when the loopback server's own time drifts
        gaps = sorted(o - r for o, r in zip(ours.samples, raw.samples))
        spread = f"{gaps[len(gaps) // 4] * 1e6:+.0f} to {gaps[3 * len(gaps) // 4] * 1e6:+.0f}"
        lines.append(
            f"| {name} | {_fmt(raw.median_s)} | {_fmt(ours.median_s)} | {statistics.median(gaps) * 1e6:+.0f} µs ({spread}) | {ours.median_s / raw.median_s:.2f}x | {_fmt(own[name])} |"
        )
    return "\n".join(lines)


async def main() -> None:
    cases = [
        Case(PLAIN, plain_dicts, TURNS),
        Case("ours: agent(), stub model", ours_on_stub, TURNS),
        Case(BY_HAND, by_hand, TURNS),
        Case("ours: agent()", ours, TURNS),
    ]
    cases += [c for c in (langgraph_case(), pydantic_ai_case()) if c is not None]
    for case in cases:  # every case holds the whole conversation (ours and the loops by hand answer "done")
        answer = await case.run()
        assert answer == "done" if case.name in (PLAIN, BY_HAND, *PAIRS) else answer is not None, case.name
    results = await measure(cases, rounds=9, round_seconds=0.2)
    print(ratio_table(f"{TURNS}-turn tool-calling agent, zero-latency model", results, (PLAIN, BY_HAND), "turn"))
    medians = {r.case.name: r.median_s for r in results}
    print("\nper-turn overhead of our agent over the same loop by hand, on the same model:")
    for name, baseline in PAIRS.items():
        print(f"  {name:<30} {(medians[name] - medians[baseline]) / TURNS * 1e6:8.2f} µs/turn over {baseline}")
    print()
    async with contextlib.AsyncExitStack() as stack:
        print(await client_overhead(stack))
    print()
    print(environment("anyio", "langgraph", "langchain-core", "pydantic-ai-slim", *SDKS))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
