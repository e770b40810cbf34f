from tta_dev_primitives import node, parallel_all


async def shard(x: int) -> str:
    return str(x)


fan = parallel_all([node(shard) for _ in range(20)])
reveal_type(fan)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[int, tuple[str, ...]]"
