from tta_dev_primitives import CircuitBreaker, Fallback, Retry, compensated, node, saga


async def fetch(url: str) -> bytes:
    return url.encode()


async def cached(url: str) -> bytes:
    return b""


async def forget(data: bytes) -> None:
    return None


guarded = node(fetch).retry(max_attempts=5).timeout(2.0).guard(CircuitBreaker("web"))
reveal_type(guarded)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, bytes]"
reveal_type(Retry()(node(fetch)))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, bytes]"
reveal_type(Fallback(primary=node(fetch), fallback=node(cached)))  # N: Revealed type is "tta_dev_primitives.stdlib.recovery._fallback.FallbackPrimitive[str, bytes]"
reveal_type(saga(compensated(node(fetch), forget)))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, bytes]"


def release(data: bytes) -> None:  # a sync compensation
    return None


reveal_type(compensated(node(fetch), release))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, bytes]"


@Retry(max_attempts=3, backoff_factor=2.0)
async def flaky(a: int, *, b: int = 1) -> int:
    return a + b


async def main() -> None:
    value = await flaky(1, b=2)
    reveal_type(value)  # N: Revealed type is "int"
