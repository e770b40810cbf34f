from tta_dev_primitives import node


@node
async def fetch(url: str) -> str:
    return url


@node
async def decode(data: bytes) -> int:
    return len(data)


broken = fetch >> decode  # E: Unsupported operand types for >> ("Node[str, str]" and "Node[bytes, int]")  [operator]
