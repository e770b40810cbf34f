"""What a chat model answers: something other than a ChatResponse (or a stream of text) is a
ChatModelReplyError naming the model and what it returned; a reply too deeply nested to decode
is a reply that does not fit, not a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
import pydantic
import pytest

from tests.fixtures.provider_server import Answer, ProviderServer
from tta_dev_primitives import ChatRequest, ChatResponse, FakeChatModel, ToolCall, compile, node, structured, tool
from tta_dev_primitives.errors import ChatModelReplyError, LoopLimitError, StreamInterruptedError
from tta_dev_primitives.executor._outputs import check_outputs
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


class SyncModel(TextModel):
    """A ChatModel whose `complete` is a plain `def` returning a ChatResponse (not awaitable)."""

    def complete(self, request: ChatRequest) -> ChatResponse:  # type: ignore[override]
        return ChatResponse("hello", self.model, 1, 1)


async def test_a_sync_complete_is_named_not_a_bare_await_error() -> None:
    expected = r"SyncModel\('texter-1'\)\.complete returned a ChatResponse .*, not an awaitable \(complete must be async def\)"
    with pytest.raises(ChatModelReplyError, match=expected):
        await compile(LLMPrimitive(SyncModel())).run(ChatRequest.of("hi"))
    with pytest.raises(ChatModelReplyError, match=expected):
        await compile(agent(SyncModel(), [], max_turns=2)).run("hi")


async def test_a_node_standing_for_the_model_that_returns_text_is_named() -> None:
    async def fake_llm(request: ChatRequest) -> ChatResponse:
        return "hello"  # type: ignore[return-value]

    expected = r"fake_llm\.execute returned a str \('hello'\), not a ChatResponse"
    previous = check_outputs(False)  # as in production: the tests' output checks would name it first
    try:
        with pytest.raises(ChatModelReplyError, match=expected):
            await compile(agent(node(fake_llm), [], max_turns=2)).run("hi")
        with pytest.raises(ChatModelReplyError, match=expected):
            await compile(structured(node(fake_llm), int)).run(ChatRequest.of("hi"))
    finally:
        check_outputs(previous)


class ShapedModel(TextModel):
    """A ChatModel answering with the replies it is given, in order."""

    def __init__(self, *replies: ChatResponse) -> None:
        self.replies = list(replies)
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return self.replies.pop(0)


async def test_tool_calls_that_are_not_tool_calls_are_named() -> None:
    bad = ChatResponse("", "m", 1, 1, ({"id": "1", "name": "t", "arguments": "{}"},))  # type: ignore[arg-type]
    with pytest.raises(ChatModelReplyError, match="not a ChatResponse whose text is a str and whose tool_calls are ToolCalls"):
        await compile(agent(ShapedModel(bad), [], max_turns=2)).run("hi")


async def test_a_reply_with_neither_text_nor_tool_calls_is_asked_again() -> None:
    """No text (None, as an SDK's `content: null` passed on, reads as "") and no tool call is no
    answer: structured output and typed agents re-ask as for any reply that does not fit, and
    an untyped agent asks again too rather than answering "" (or None)."""
    assert ChatResponse(None, "m", 1, 1).text == ""  # type: ignore[arg-type]
    model = ShapedModel(ChatResponse(None, "m", 1, 1), ChatResponse("4", "m", 1, 1))  # type: ignore[arg-type]
    assert await compile(structured(model, int)).run(ChatRequest.of("2+2?")) == 4
    assert "does not fit the schema: it is empty" in model.requests[1].messages[-1].content
    model = ShapedModel(ChatResponse(None, "m", 1, 1), ChatResponse(" \n", "m", 1, 1), ChatResponse("Four.", "m", 1, 1))  # type: ignore[arg-type]
    assert await compile(agent(model, [], max_turns=3)).run("2+2?") == "Four."
    assert [r.messages[-1].content for r in model.requests[1:]] == ["Your reply was empty. Answer, or call a tool."] * 2
    with pytest.raises(LoopLimitError):
        await compile(agent(ShapedModel(ChatResponse("", "m", 1, 1)), [], max_turns=1)).run("2+2?")


@attrs.frozen
class Name:
    n: str


@attrs.frozen
class Reading:
    value: float


@pytest.mark.parametrize(
    ("output", "bad", "good", "expected"),
    [
        (Point, '{"x": "\\ud800"}', '{"x": 1}', Point(1)),  # a lone surrogate where an int belongs
        (Name, '{"n": "\\ud800"}', '{"n": "Ada"}', Name("Ada")),  # a str cannot hold one either: it could not be sent
        (Name, '{"n": "\ud800"}', '{"n": "Ada"}', Name("Ada")),  # nor the text itself
        (Reading, '{"value": NaN}', '{"value": 1.5}', Reading(1.5)),  # JSON has no NaN
    ],
    ids=["surrogate-for-int", "surrogate-for-str", "raw-surrogate", "nan"],
)
async def test_a_structured_reply_json_cannot_carry_is_asked_again(output: type[object], bad: str, good: str, expected: object) -> None:
    model = FakeChatModel(script=[bad, good])
    assert await compile(structured(model, output)).run(ChatRequest.of("?")) == expected
    assert "does not fit the schema" in model.requests[1].messages[-1].content
    model = FakeChatModel(script=[bad, good])
    assert await compile(agent(model, [], max_turns=3, output=output)).run("?") == expected
    assert "does not fit the schema" in model.requests[1].messages[-1].content


# -- provider bodies the SDK cannot decode -------------------------------------------------------

OPENAI_BODY = (
    '{"id": "c", "object": "chat.completion", "created": CREATED, "model": "gpt-4o-mini", "choices": [{"index": 0, "finish_reason":'
    ' "stop", "message": {"role": "assistant", "content": "hi"}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}, "x": X}'
)
DEEP = "[" * 5000 + "]" * 5000
LONG_INT = "9" * 5000


def _raw(body: str) -> Answer:
    return Answer(200, body, (("content-type", "application/json"),))


@pytest.mark.parametrize(
    "body",
    [OPENAI_BODY.replace("CREATED", LONG_INT).replace("X", "1"), OPENAI_BODY.replace("CREATED", "1").replace("X", DEEP)],
    ids=["5000-digit-int", "5000-deep-field"],
)
async def test_an_openai_body_the_sdk_cannot_decode_is_a_malformed_response(server: ProviderServer, body: str) -> None:
    openai = pytest.importorskip("openai")
    from tta_dev_primitives.stdlib.llm.providers import ModelTransientError, OpenAIChatModel

    server.add(_raw(body))
    async with openai.AsyncOpenAI(api_key="sk-test-0123456789", base_url=server.base_url + "/v1") as client:
        with pytest.raises(ModelTransientError, match="openai model 'gpt-4o-mini': malformed response") as info:
            await compile(LLMPrimitive(OpenAIChatModel(client, "gpt-4o-mini"))).run(ChatRequest.of("hi"))
    assert info.value.model == "gpt-4o-mini" and info.value.status is None


async def test_an_openai_stream_event_the_sdk_cannot_decode_is_a_malformed_response(server: ProviderServer) -> None:
    openai = pytest.importorskip("openai")
    from tta_dev_primitives.stdlib.llm.providers import ModelTransientError, OpenAIChatModel

    server.add(Answer.stream([(None, '{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [], "x": ' + DEEP + "}")]))
    async with openai.AsyncOpenAI(api_key="sk-test-0123456789", base_url=server.base_url + "/v1") as client:
        with pytest.raises(ModelTransientError, match="malformed response: RecursionError"):
            [chunk async for chunk in OpenAIChatModel(client, "gpt-4o-mini").stream(ChatRequest.of("hi"))]


@pytest.mark.parametrize("input_json", ['{"input": ' + DEEP + "}", '{"input": ' + LONG_INT + "}"], ids=["5000-deep", "5000-digit-int"])
async def test_anthropic_tool_use_input_the_sdk_cannot_decode_is_a_malformed_response(server: ProviderServer, input_json: str) -> None:
    """The SDK decodes the whole body before our argument limits can look at it: what it cannot
    decode is a malformed body (ModelTransientError naming the model), as an HTML page is."""
    anthropic = pytest.importorskip("anthropic")
    from tta_dev_primitives.stdlib.llm.providers import AnthropicChatModel, ModelTransientError

    def echo(value: object) -> str:
        """Say what came."""
        return repr(value)

    body = (
        '{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "stop_reason": "tool_use",'
        ' "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1},'
        ' "content": [{"type": "tool_use", "id": "tu_1", "name": "echo", "input": ' + input_json + "}]}"
    )
    server.add(_raw(body))
    async with anthropic.AsyncAnthropic(api_key="sk-ant-test-0123456789", base_url=server.base_url) as client:
        model = AnthropicChatModel(client, "claude-haiku-4-5", max_tokens=100)
        with pytest.raises(ModelTransientError, match="anthropic model 'claude-haiku-4-5': malformed response"):
            await compile(agent(model, [tool(echo)], max_turns=3, retry=None)).run("?")  # the first reply's error, not a retry's
