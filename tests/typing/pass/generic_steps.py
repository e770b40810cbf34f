from typing import TypeVar

from tta_dev_primitives import Node, node

T = TypeVar("T")


@node
def parse(text: str) -> int:
    return int(text)


@node
def show(number: int) -> str:
    return str(number)


def trace(value: T) -> T:
    return value


async def remember(value: T) -> list[T]:
    return [value]


def first(values: list[T]) -> T:
    return values[0]


# A generic function composes undecorated: `>>` solves its type variable from the step before.
pipeline = parse >> trace >> show
reveal_type(pipeline)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
round_trip = parse >> remember >> first >> show
reveal_type(round_trip)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"

# As a node of its own, give it the type it is used at (mypy cannot keep a node generic).
def trace_number(value: int) -> int:
    return trace(value)


traced: Node[int, int] = node(trace_number)
reveal_type(parse >> traced >> show)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
