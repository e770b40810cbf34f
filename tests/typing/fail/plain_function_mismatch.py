from tta_dev_primitives import node


@node
def parse(text: str) -> int:
    return int(text)


def shout(text: str) -> str:
    return text.upper()


# Passed to `>>` as it is, a function that does not take the previous output is named with both
# types (inline `node(shout)` makes mypy report it against node()'s async overload instead).
parse >> shout  # E: Unsupported operand types for >> ("Node[str, int]" and "Callable[[str], str]")  [operator]
