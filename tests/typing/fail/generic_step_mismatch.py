from typing import TypeVar

from tta_dev_primitives import node

T = TypeVar("T")


@node
def parse(text: str) -> int:
    return int(text)


@node
def needs_bytes(raw: bytes) -> str:
    return raw.decode()


def trace(value: T) -> T:
    return value


# The type variable is solved from `parse` (int), so the next step's bytes input is a mistake.
pipeline = parse >> trace >> needs_bytes  # E: Unsupported operand types for >> ("Node[str, int]" and "Node[bytes, str]")  [operator]
