from tta_dev_primitives import Node, node


async def parse(text: str) -> int:
    return int(text)


async def halve(value: int) -> float:
    return value / 2


pipeline = node(parse) >> node(halve)
reveal_type(pipeline)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, float]"
typed: Node[str, float] = pipeline
