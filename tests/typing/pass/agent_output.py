from dataclasses import dataclass

from tta_dev_primitives import FakeChatModel, agent, tool


@dataclass
class City:
    name: str


@dataclass
class Trip:
    city: str
    temperature: int


async def weather(city: City) -> int:
    """Today's temperature in a city."""
    return 20


model = FakeChatModel()
reveal_type(agent(model, [tool(weather)], max_turns=5))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
reveal_type(agent(model, [tool(weather)], max_turns=5, output=Trip))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, agent_output.Trip]"
