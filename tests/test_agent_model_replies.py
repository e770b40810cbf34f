"""What a chat model answers: something other than a ChatResponse (or a stream of text) is a
ChatModelReplyError naming the model and what it returned; a reply too deeply nested to decode
is a reply that does not fit, not a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
import pydantic
import pytest

from tta_dev_primitives import ChatRequest, ChatResponse, FakeChatModel, ToolCall, compile, structured, tool
from tta_dev_primitives.errors import ChatModelReplyError, StreamInterruptedError
from tta_dev_primitives.stdlib.llm import LLMPrimitive, agent, chat_stream

pytestmark = pytest.mark.anyio


class TextModel:
    """A ChatModel whose `complete` returns its text, not a ChatResponse (a common slip)."""

    provider = "custom"
    model = "texter-1"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return "hello"  # type: ignore[return-value]

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        yield "hello"


class BytesStreamModel(TextModel):
    """A ChatModel whose stream yields bytes (after `first` text chunks)."""

    def __init__(self, first: int = 0) -> None:
        self.first = first

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        for _ in range(self.first):
            yield "ok "
        yield b"raw"  # type: ignore[misc]


class CoroutineStreamModel(TextModel):
    """A ChatModel whose `stream` is a coroutine returning text, not an async iterator."""

    async def stream(self, request: ChatRequest) -> str:  # type: ignore[override]
        return "hello"


REPLY = r"TextModel\('texter-1'\)\.complete returned a str \('hello'\), not a ChatResponse"


async def test_an_agent_over_a_model_returning_text_names_the_model_and_what_it_returned() -> None:
    with pytest.raises(ChatModelReplyError, match=REPLY) as info:
        await compile(agent(TextModel(), [], max_turns=2)).run("hi")
    assert isinstance(info.value, TypeError) and info.value.got == "hello"


async def test_every_model_call_checks_the_reply_llm_primitive_and_structured_too() -> None:
    with pytest.raises(ChatModelReplyError, match=REPLY):
        await compile(LLMPrimitive(TextModel())).run(ChatRequest.of("hi"))
    with pytest.raises(ChatModelReplyError, match=REPLY):
        await LLMPrimitive(TextModel()).execute(ChatRequest.of("hi"))
    with pytest.raises(ChatModelReplyError, match=REPLY):
        await compile(structured(TextModel(), int)).run(ChatRequest.of("hi"))


async def test_a_broken_model_under_a_sub_agent_tool_stops_the_agent_instead_of_telling_the_model() -> None:
    inner = compile(agent(TextModel(), [], max_turns=2)).as_tool(name="helper", description="Ask the helper.")
    outer = FakeChatModel(script=[ToolCall("1", "helper", '{"input": "?"}'), "done"])
    with pytest.raises(ChatModelReplyError, match=REPLY):
        await compile(agent(outer, [inner], max_turns=3)).run("hi")


async def test_a_stream_yielding_other_than_text_names_the_model_and_the_chunk() -> None:
    chunk = r"BytesStreamModel\('texter-1'\)\.stream yielded a bytes \(b'raw'\), not a str"
    with pytest.raises(ChatModelReplyError, match=chunk):
        await compile(chat_stream(BytesStreamModel())).run("hi")
    with pytest.raises(StreamInterruptedError, match=chunk) as info:  # after a chunk: as any failure mid-stream
        await compile(chat_stream(BytesStreamModel(first=1))).run("hi")
    assert isinstance(info.value.__cause__, ChatModelReplyError)


async def test_a_stream_method_that_is_no_async_iterator_is_named() -> None:
    with pytest.raises(ChatModelReplyError, match=r"CoroutineStreamModel\('texter-1'\)\.stream returned a coroutine .*, not an async iterator"):
        await compile(chat_stream(CoroutineStreamModel())).run("hi")


@attrs.frozen
class Point:
    x: int


async def test_a_reply_nested_too_deep_to_decode_is_re_asked_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    model = FakeChatModel(script=[deep, '{"x": 1}'])
    assert await compile(agent(model, [], max_turns=3, output=Point)).run("?") == Point(1)
    assert "nested deeper than 64 levels" in model.requests[1].messages[-1].content
    model = FakeChatModel(script=[deep, '{"x": 2}'])
    assert await compile(structured(model, Point)).run(ChatRequest.of("?")) == Point(2)



class Login(pydantic.BaseModel):
    user: str

    @pydantic.field_validator("user")
    @classmethod
    def known(cls, user: str) -> str:
        if user != "ada":  # a developer's message that quotes a secret of the process
            raise ValueError("unknown user; the admin token is Bearer abcdefghijklmnop0123")
        return user


def log_in(login: Login) -> str:
    """Log a user in."""
    return login.user


async def test_a_validators_secret_is_masked_in_what_the_model_is_told() -> None:
    told: list[str] = []
    model = FakeChatModel(script=['{"user": "bob"}', '{"user": "ada"}'])
    assert await compile(structured(model, Login)).run(ChatRequest.of("?")) == Login(user="ada")
    told.append(model.requests[1].messages[-1].content)
    model = FakeChatModel(script=['{"user": "bob"}', '{"user": "ada"}'])
    assert await compile(agent(model, [], max_turns=3, output=Login)).run("?") == Login(user="ada")
    told.append(model.requests[1].messages[-1].content)
    model = FakeChatModel(script=[ToolCall("1", "log_in", '{"user": "bob"}'), "no"])
    assert await compile(agent(model, [tool(log_in)], max_turns=3)).run("?") == "no"
    told.append(model.requests[1].messages[-1].content)
    for sent in told:
        assert "unknown user; the admin token is Bearer ***" in sent and "abcdefghijklmnop0123" not in sent
