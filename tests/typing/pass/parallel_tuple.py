from tta_dev_primitives import node, parallel


async def as_text(x: int) -> str:
    return str(x)


async def as_float(x: int) -> float:
    return float(x)


def is_even(x: int) -> bool:
    return x % 2 == 0


fan = parallel(node(as_text), node(as_float), node(is_even))
reveal_type(fan)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[int, tuple[str, float, bool]]"


def consume(parts: tuple[str, float, bool]) -> str:
    return parts[0]


whole = fan >> node(consume)
reveal_type(whole)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[int, str]"
