from tta_dev_primitives import Saga, node


@node
async def reserve(order: str) -> int:
    return len(order)


@node
async def charge(booking: int) -> float:
    return booking * 1.5


async def cancel(booking: int) -> None:
    return None


def refund(amount: float) -> None:  # sync rollbacks are fine
    return None


# Chained, the seed's Saga is typed: each step takes the previous output, each rollback its own.
typed = Saga().add_step(reserve, rollback=cancel).add_step(charge, rollback=refund)
reveal_type(typed)  # N: Revealed type is "tta_dev_primitives.stdlib.recovery._saga.SagaPrimitive[builtins.str, builtins.float]"

# The seed's statement style still works (checked by compile()).
saga = Saga()
saga.add_step(reserve, rollback=cancel)
saga.add_step(charge, rollback=refund)
reveal_type(saga)  # N: Revealed type is "tta_dev_primitives.stdlib.recovery._saga.SagaPrimitive[builtins.object, builtins.object]"
