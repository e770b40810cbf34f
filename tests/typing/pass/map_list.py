from tta_dev_primitives import for_each, node


def split(text: str) -> list[str]:
    return text.split()


async def embed(word: str) -> float:
    return float(len(word))


vectors = node(split).map(node(embed), concurrency=4)
reveal_type(vectors)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, list[float]]"

each = for_each(node(embed))
reveal_type(each)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[typing.Sequence[str], list[float]]"
reveal_type(node(split) >> each)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, list[float]]"
