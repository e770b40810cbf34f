from tta_dev_primitives import compile, node


@node
def score(text: str) -> float:
    return float(len(text))


@node
def count(n: int) -> int:
    return n


plan = compile(count >> score.remote())  # E: Unsupported operand types for >> ("Node[int, int]" and "Node[str, float]")  [operator]
