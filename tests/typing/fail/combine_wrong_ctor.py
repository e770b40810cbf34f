from dataclasses import dataclass

from tta_dev_primitives import combine, node


@dataclass
class Profile:
    name: str
    score: float


async def name_of(user_id: int) -> str:
    return f"user{user_id}"


async def score_of(user_id: int) -> float:
    return 0.5


# Branch results are passed in order: (float, str) does not fit Profile(name: str, score: float).
broken = combine(Profile, node(score_of), node(name_of))  # E: Argument 1 to "combine" has incompatible type "type[Profile]"; expected "Callable[[float, str], Profile]"  [arg-type]
