from tta_dev_primitives import RunContext, node


async def fetch(url: str) -> bytes:
    return url.encode()


def size(data: bytes) -> int:
    return len(data)


async def tagged(data: bytes, ctx: RunContext) -> str:
    return f"{ctx.correlation_id}:{len(data)}"


async def now() -> float:
    return 0.0


reveal_type(node(fetch))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, bytes]"
reveal_type(node(size))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[bytes, int]"
reveal_type(node(tagged))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[bytes, str]"
reveal_type(node(now))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[object, float]"


@node
async def decorated(x: int) -> str:
    return str(x)


reveal_type(decorated)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[int, str]"
