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


profile = combine(Profile, node(name_of), node(score_of))
reveal_type(profile)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[int, combine_ctor.Profile]"
