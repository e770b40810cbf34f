from tta_dev_primitives import node_with


def translate(text: str, lang: str, *, formal: bool = False) -> str:
    return f"{lang}:{text}"


# The bound arguments are checked against the function's other parameters.
wrong = node_with(translate, 3)  # E: No overload variant of "node_with" matches argument types
