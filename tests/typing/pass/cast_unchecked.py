import json

from tta_dev_primitives import node


def load(raw: str) -> object:
    return json.loads(raw)


def total(values: list[int]) -> int:
    return sum(values)


pipeline = node(load).cast(list[int]) >> node(total)
reveal_type(pipeline)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, int]"
