from tta_dev_primitives import compensated, node


@node
async def reserve(seat: int) -> str:
    return f"booking-{seat}"


async def cancel(seat: int) -> None:
    return None


# A compensation receives its step's output (a str here), not the step's input.
step = compensated(reserve, cancel)  # E: Argument 2 to "compensated" has incompatible type "Callable[[int], Coroutine[Any, Any, None]]"; expected "Node[str, object] | Callable[[str], object]"  [arg-type]
