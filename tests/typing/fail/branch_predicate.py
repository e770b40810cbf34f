from tta_dev_primitives import branch, node


def short(text: str) -> str:
    return text


def is_positive(value: int) -> bool:
    return value > 0


broken = branch(is_positive, node(short), node(short))  # E: Argument 1 to "branch" has incompatible type "Callable[[int], bool]"; expected "Callable[[str], bool] | Node[str, bool] | bool"  [arg-type]
