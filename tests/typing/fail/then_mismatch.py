from tta_dev_primitives import node


@node
def tokenize(text: str) -> list[str]:
    return text.split()


@node
def upper(text: str) -> str:
    return text.upper()


@node
def count(tokens: list[str]) -> int:
    return len(tokens)


ok = tokenize.then(count)
broken = tokenize.then(upper)  # E: Argument 1 to "then" of "Node" has incompatible type "Node[str, str]"; expected "Node[list[str], str]"  [arg-type]
