from collections.abc import AsyncIterator

from tta_dev_primitives import FakeChatModel, chat_stream, compile, node, streaming


@node
async def prepare(question: str) -> str:
    return question


@streaming
async def tokens(prompt: str) -> AsyncIterator[str]:
    yield prompt


@streaming
async def sentences(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    async for chunk in chunks:
        yield chunk


@node
async def count(text: str) -> int:
    return len(text)


@node
async def first(chunks: AsyncIterator[str]) -> str:
    return await chunks.__anext__()


def total(values: list[int]) -> int:
    return sum(values)


@streaming(join=total)
async def numbers(n: int) -> AsyncIterator[int]:
    yield n


pipeline = prepare >> tokens >> sentences >> count
reveal_type(tokens)  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[builtins.str, builtins.str, builtins.str]"
reveal_type(pipeline)  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[builtins.str, builtins.str, builtins.int]"
reveal_type(tokens >> first)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
reveal_type(numbers)  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[builtins.int, builtins.int, builtins.int]"
reveal_type(tokens.retry(max_attempts=2).timeout(5, first_chunk=1))  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[builtins.str, builtins.str, builtins.str]"
reveal_type(chat_stream(FakeChatModel()))  # N: Revealed type is "tta_dev_primitives.dsl._streaming.StreamNode[tta_dev_primitives.stdlib.llm.model.ChatRequest | builtins.str, builtins.str, builtins.str]"
plan = compile(pipeline)
reveal_type(plan)  # N: Revealed type is "tta_dev_primitives.plan.StreamPlan[builtins.str, builtins.str, builtins.int]"


async def consume() -> None:
    async with plan.stream("q") as chunks:
        async for chunk in chunks:
            reveal_type(chunk)  # N: Revealed type is "builtins.str"
    reveal_type(await chunks.result())  # N: Revealed type is "builtins.int"
    async with plan.events("q") as events:
        async for event in events:
            reveal_type(event.at)  # N: Revealed type is "builtins.float"
            if event.kind == "chunk":
                reveal_type(event.chunk)  # N: Revealed type is "builtins.object"
