from tta_dev_primitives import branch, node


def as_text(x: int) -> str:
    return str(x)


def as_number(x: int) -> int:
    return x


# Arms must share one output type; mypy must not widen them to `object`.
broken = branch(lambda x: x > 0, node(as_text), node(as_number))  # E: Cannot infer value of type parameter "R" of "branch"  [misc]
