from tta_dev_primitives import node, parallel


@node
async def as_text(x: int) -> str:
    return str(x)


@node
async def as_float(x: int) -> float:
    return float(x)


@node
def consume(parts: tuple[str, str]) -> int:
    return len(parts)


fan = parallel(as_text, as_float)
broken = fan >> consume  # E: Unsupported operand types for >> ("Node[int, tuple[str, float]]" and "Node[tuple[str, str], int]")  [operator]
