from tta_dev_primitives import node


@node
def split(text: str) -> list[str]:
    return text.split()


@node
async def square(n: int) -> int:
    return n * n


broken = split.map(square)  # E: Argument 1 to "map" of "Node" has incompatible type "Node[int, int]"; expected "Node[str, int]"  [arg-type]
