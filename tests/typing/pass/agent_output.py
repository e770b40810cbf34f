from dataclasses import dataclass

from tta_dev_primitives import FakeChatModel, agent, tool
from tta_dev_primitives.llm import model_retry


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
reveal_type(agent(model, [], max_turns=2, output=Trip, retry=None, temperature=0.2, top_p=0.9, max_tokens=100, stop="END", seed=1))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, agent_output.Trip]"
reveal_type(agent(model, [], max_turns=2, retry=model_retry(max_attempts=5), stop=["END", "STOP"]))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
