"""A 5-turn tool-calling agent on a zero-latency fake model: framework overhead per turn.

Every case runs the same conversation: four turns that each call one tool (`lookup`), then a
turn that answers. The model is a deterministic fake that decides from the conversation so far
(so every run replays the same five turns), and the tool is a plain async function.

- by hand: the loop written directly over the same fake ChatModel (call, dispatch the tool
  calls by name with json.loads, append the messages, repeat);
- ours: `agent(model, [tool(lookup)], max_turns=6)` compiled once and run;
- LangGraph: `create_react_agent` (langgraph.prebuilt) over a LangChain fake chat model;
- pydantic-ai: `Agent(FunctionModel(...), tools=[lookup])`.

Reports time per run and per turn, the ratio against the hand-written loop, and the per-turn
overhead each framework adds over it.

Run: python -m benchmarks.bench_agent
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tta_dev_primitives import ChatMessage, ChatRequest, FakeChatModel, ToolCall, agent, compile, tool
from tta_dev_primitives.stdlib.llm.model import Reply

from .harness import Case, environment, measure, table

TURNS = 5
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


async def main() -> None:
    cases = [Case("by hand", by_hand, TURNS), Case("ours: agent()", ours, TURNS)]
    cases += [c for c in (langgraph_case(), pydantic_ai_case()) if c is not None]
    for case in cases:
        assert await case.run() is not None, case.name
    results = await measure(cases, rounds=9, round_seconds=0.2)
    print(table(f"{TURNS}-turn tool-calling agent, fake model, zero latency", results, baseline="by hand", unit="turn"))
    base = next(r for r in results if r.case.name == "by hand").median_s
    print("\nper-turn overhead over the hand-written loop:")
    for r in results[1:]:
        print(f"  {r.case.name:<30} {(r.median_s - base) / TURNS * 1e6:8.1f} µs/turn")
    print()
    print(environment("anyio", "langgraph", "langchain-core", "pydantic-ai-slim"))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
