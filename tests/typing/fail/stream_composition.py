from collections.abc import AsyncIterator

from tta_dev_primitives import compile, node, streaming


@node
async def prepare(question: str) -> str:
    return question


@node
async def count(text: str) -> int:
    return len(text)


@streaming
async def tokens(prompt: str) -> AsyncIterator[str]:
    yield prompt


@streaming
async def sentences(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    async for chunk in chunks:
        yield chunk


# chunks other than text need a join= (how they become one value)
@streaming  # E: Argument 1 to "streaming" has incompatible type "Callable[[int], AsyncIterator[int]]"; expected "Callable[[int], AsyncIterator[str]]"  [arg-type]
async def numbers(n: int) -> AsyncIterator[int]:
    yield n


transform_of_a_value = prepare >> sentences  # E: Unsupported operand types for >> ("Node[str, str]" and "StreamNode[AsyncIterator[str], str, str]")  [operator]
stream_of_the_wrong_type = count >> tokens  # E: Unsupported operand types for >> ("Node[str, int]" and "StreamNode[str, str, str]")  [operator]


async def consume() -> None:
    async with compile(prepare >> tokens).stream("q") as chunks:
        async for chunk in chunks:
            wrong: int = chunk  # E: Incompatible types in assignment (expression has type "str", variable has type "int")  [assignment]
