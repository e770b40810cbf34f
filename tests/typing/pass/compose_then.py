from tta_dev_primitives import node


def tokenize(text: str) -> list[str]:
    return text.split()


def count(tokens: list[str]) -> int:
    return len(tokens)


def label(n: int) -> str:
    return f"{n} tokens"


chain = node(tokenize).then(node(count)).then(node(label))
reveal_type(chain)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, str]"
