from dataclasses import dataclass

from tta_dev_primitives import node, tool


@dataclass
class Forecast:
    city: str


async def weather(request: Forecast) -> str:
    """Forecast for a city."""
    return request.city


# A tool's parsed arguments have its input type.
city: int = tool(node(weather)).parse('{"city": "Oslo"}').city  # E: Incompatible types in assignment (expression has type "str", variable has type "int")  [assignment]
