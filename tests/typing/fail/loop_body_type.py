from tta_dev_primitives import loop, node


async def count(text: str) -> int:
    return len(text)


async def revise(text: str) -> str:
    return text + "!"


def is_big(number: int) -> bool:
    return number > 10


# A loop's body feeds its own output back in: it must be a Node[S, S].
counting = loop(node(count), until=is_big, max_iterations=3)  # E: Cannot infer value of type parameter "S" of "loop"  [misc]
# The condition reads the state the body produces.
checked = loop(node(revise), until=is_big, max_iterations=3)  # E: Argument "until" to "loop" has incompatible type "Callable[[int], bool]"; expected "Callable[[str], bool] | Node[str, bool]"  [arg-type]
