from tta_dev_primitives import node


async def fetch(url: str) -> str:
    return url


async def decode(data: bytes) -> int:
    return len(data)


async def decode_text(text: str) -> int:
    return len(text)


# Wrapping inline, mypy (with the plugin in pyproject.toml) reports the mismatch between the steps.
broken = node(fetch) >> node(decode)  # E: Unsupported operand types for >> ("Node[str, str]" and "Node[bytes, int]")  [operator]


# A lambda is typed from the previous step's output (mypy), so its mistake is reported.
shouted = node(fetch) >> node(decode_text) >> node(lambda n: n.upper())  # E: "int" has no attribute "upper"  [attr-defined]
