from dataclasses import dataclass

from tta_dev_primitives import FakeChatModel, Node, agent, tool


@dataclass
class City:
    name: str


@dataclass
class Trip:
    city: str


async def weather(city: City) -> int:
    """Today's temperature in a city."""
    return 20


# The agent's output type is the `output=` type.
planner: Node[str, City] = agent(FakeChatModel(), [tool(weather)], max_turns=5, output=Trip)  # E: Argument "output" to "agent" has incompatible type "type[Trip]"; expected "type[City]"  [arg-type]
