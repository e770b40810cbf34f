from tta_dev_primitives import Cache, CacheStats, cached, node


@cached(max_size=1000, ttl=3600)
async def expensive_computation(input_data: str) -> dict[str, int]:
    return {"length": len(input_data)}


async def main() -> None:
    result = await expensive_computation("text")
    reveal_type(result)  # N: Revealed type is "dict[str, int]"
    stats: CacheStats = expensive_computation.cache_stats()
    print(f"Hit rate: {stats.hit_rate:.2%}")


async def embed(text: str) -> list[float]:
    return [0.0]


reveal_type(node(embed).cached(ttl=60))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, list[float]]"
reveal_type(Cache(max_size=10)(node(embed)))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, list[float]]"
