from dataclasses import dataclass

from tta_dev_primitives import branch, combine, node, parallel


def from_text(x: str) -> int:
    return len(x)


def from_bytes(x: bytes) -> int:
    return len(x)


def is_short(x: str) -> bool:
    return len(x) < 10


@dataclass
class Sizes:
    text: int
    raw: int


# Branches that take different inputs must be reported here, not solved to a silent `Never` input.
both = parallel(node(from_text), node(from_bytes))  # E: Cannot infer value of type parameter "I" of "parallel"  [misc]
sizes = combine(Sizes, node(from_text), node(from_bytes))  # E: Cannot infer value of type parameter "I" of "combine"  [misc]
either = branch(is_short, node(from_text), node(from_bytes))  # E: Cannot infer value of type parameter "I" of "branch"  [misc]
