from tta_dev_primitives import node


async def fetch(url: str) -> str:
    return url


async def decode(data: bytes) -> int:
    return len(data)


async def decode_text(text: str) -> int:
    return len(text)


# Wrapping inline, mypy reports the function that does not accept the previous step's output.
broken = node(fetch) >> node(decode)  # E: Argument 1 to "node" has incompatible type "Callable[[bytes], Coroutine[Any, Any, int]]"; expected "Callable[[str], Awaitable[int]]"  [arg-type]


# A lambda is typed from the previous step's output (mypy), so its mistake is reported.
shouted = node(fetch) >> node(decode_text) >> node(lambda n: n.upper())  # E: "int" has no attribute "upper"  [attr-defined]
