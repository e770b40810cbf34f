from dataclasses import dataclass

from tta_dev_primitives import compile, node, tool


@dataclass
class Forecast:
    city: str
    days: int = 3


async def weather(request: Forecast) -> str:
    """Forecast for a city."""
    return request.city


forecast = tool(node(weather))
reveal_type(forecast)  # N: Revealed type is "tta_dev_primitives.stdlib.llm._tools.Tool[tool_types.Forecast, builtins.str]"
reveal_type(forecast.parse('{"city": "Oslo"}'))  # N: Revealed type is "tool_types.Forecast"
reveal_type(compile(node(weather)).as_tool())  # N: Revealed type is "tta_dev_primitives.stdlib.llm._tools.Tool[tool_types.Forecast, builtins.str]"


def population(city: str) -> int:
    """Population of a city."""
    return 1


reveal_type(tool(weather))  # N: Revealed type is "tta_dev_primitives.stdlib.llm._tools.Tool[tool_types.Forecast, builtins.str]"
reveal_type(tool(population))  # N: Revealed type is "tta_dev_primitives.stdlib.llm._tools.Tool[builtins.str, builtins.int]"
