"""A tool-calling agent with three typed tools: its plan, its worst-case bound, a run's
transcript and what it cost.

Needs: pip install -e '.[agents]'   (a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/agent_tools.py                                   # offline, scripted fake model
    python examples/agent_tools.py --base-url URL --model NAME       # any OpenAI-compatible server
    python examples/agent_tools.py --provider anthropic              # Claude (ANTHROPIC_API_KEY)
    python examples/agent_tools.py --provider ollama --model qwen3   # a local Ollama model
    python examples/agent_tools.py --provider NAME [--model M]       # gemini, groq, mistral, bedrock, ...
"""

from __future__ import annotations

import argparse
import asyncio
import enum
from typing import Literal, TypedDict

import attrs

from tta_dev_primitives import ChatRequest, FakeChatModel, ToolCall, agent, compile, node, tool
from tta_dev_primitives.extras import exit_if_missing, quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm import CostTrackingPrimitive, LLMPrimitive
from tta_dev_primitives.stdlib.llm.model import Reply
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

exit_if_missing("agents")  # one line naming the extra, not a traceback deep in the library


class Unit(enum.Enum):
    CELSIUS = "c"
    FAHRENHEIT = "f"


@attrs.frozen
class Forecast:
    """Which forecast to fetch."""

    city: str
    days: int = 1
    unit: Unit = Unit.CELSIUS


class Conversion(TypedDict):
    amount: float
    currency: Literal["EUR", "USD", "NOK"]


@attrs.frozen
class TripAdvice:
    """The agent's typed answer."""

    city: str
    pack_umbrella: bool
    budget_nok: float
    summary: str


TEMPERATURES = {"oslo": 4, "rome": 17}
RATES_TO_NOK = {"EUR": 11.5, "USD": 10.6, "NOK": 1.0}


async def weather(request: Forecast) -> str:
    """The weather forecast for a city."""
    celsius = TEMPERATURES.get(request.city.lower(), 12)
    shown = celsius if request.unit is Unit.CELSIUS else round(celsius * 9 / 5 + 32)
    return f"{request.city}: {shown}°{request.unit.value.upper()}, rain likely, for the next {request.days} day(s)"


def population(city: str) -> int:
    """The population of a city."""
    return {"oslo": 709_000, "rome": 2_750_000}.get(city.lower(), 100_000)


def to_nok(conversion: Conversion) -> float:
    """Convert an amount of money to Norwegian kroner."""
    return round(conversion["amount"] * RATES_TO_NOK[conversion["currency"]], 2)


SCRIPT: list[Reply] = [
    # turn 1: two tool calls, run concurrently
    [ToolCall("c1", "weather", '{"city": "Oslo", "days": 2}'), ToolCall("c2", "population", '{"input": "Oslo"}')],
    # turn 2: an argument the tool's type rejects comes back to the model as an error...
    ToolCall("c3", "to_nok", '{"amount": 300, "currency": "GBP"}'),
    # turn 3: ...which it corrects
    ToolCall("c4", "to_nok", '{"amount": 300, "currency": "EUR"}'),
    # turn 4: the typed answer
    '{"city": "Oslo", "pack_umbrella": true, "budget_nok": 3450.0, "summary": "Cold and wet: bring a coat and an umbrella."}',
]

parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
model = chat_model_from(args, FakeChatModel("gpt-4o-mini", script=SCRIPT, max_tokens=1024, max_input_tokens=16_000))
tracked = CostTrackingPrimitive(LLMPrimitive(model))
requests: list[ChatRequest] = []


def remember(request: ChatRequest) -> ChatRequest:
    """Keep each request the agent sends (the last one holds the whole transcript)."""
    requests.append(request)
    return request


advisor = agent(
    node(remember) >> tracked,
    [tool(weather), tool(population), tool(to_nok)],
    max_turns=6,
    output=TripAdvice,
    system="You plan trips. Use the tools, then answer with the requested JSON.",
    name="trip advisor",
)


async def main() -> None:
    plan = compile(advisor)
    explained = plan.explain(locations=False)
    print(explained.split("\n\npasses:")[0])
    print("\n".join(explained.split("analysis:\n")[1].splitlines()))
    advice = await plan.run("I am going to Oslo with 300 euros. What should I pack, and what is my budget in kroner?")
    print("\ntranscript:")
    for message in requests[-1].messages:
        calls = ", ".join(f"{c.name}({c.arguments})" for c in message.tool_calls)
        print(f"  {message.role:<9} {message.content[:100] or calls}")
    print(f"\nanswer: {advice}")
    report = await tracked.get_cost_report()
    for name, usage in sorted(report.by_model.items()):
        print(f"cost: {name} {usage.summary()}")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
