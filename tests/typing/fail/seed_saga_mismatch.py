from tta_dev_primitives import Saga, node


@node
async def reserve(order: str) -> int:
    return len(order)


@node
async def notify(message: str) -> None:
    return None


async def cancel(booking: int) -> None:
    return None


# `notify` takes a str but follows a step returning int.
broken = Saga().add_step(reserve, rollback=cancel).add_step(notify)  # E: Argument 1 to "add_step" of "SagaPrimitive" has incompatible type "Node[str, None]"; expected "Node[int, None]"  [arg-type]


@node
async def charge(booking: int) -> float:
    return booking * 1.5


# A rollback receives its own step's output (float here), not the previous step's.
wrong_undo = Saga().add_step(reserve).add_step(charge, rollback=cancel)  # E: Argument "rollback" to "add_step" of "SagaPrimitive" has incompatible type "Callable[[int], Coroutine[Any, Any, None]]"; expected "Node[float, object] | Callable[[float], object] | None"  [arg-type]
