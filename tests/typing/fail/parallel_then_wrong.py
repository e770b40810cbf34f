from tta_dev_primitives import node, parallel


@node
def length(text: str) -> int:
    return len(text)


@node
def first(text: str) -> str:
    return text[:1]


@node
def total(pair: tuple[int, int]) -> int:
    return sum(pair)


broken = parallel(length, first).then(total)  # E: Argument 1 to "then" of "Node" has incompatible type "Node[tuple[int, int], int]"; expected "Node[tuple[int, str], int]"  [arg-type]
