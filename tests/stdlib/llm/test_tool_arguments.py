"""A tool call's arguments: bounded in depth and size before they are decoded, invalid JSON
(huge ints, lone surrogates) answered as a tool error, and tools typed `object` given them."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import attrs
import pytest
from typing_extensions import TypedDict

from tests.fixtures.provider_server import Answer, ProviderServer
from tta_dev_primitives import BuildError, ChatRequest, ChatResponse, FakeChatModel, ToolArgumentsError, ToolCall, compile, node, tool
from tta_dev_primitives.stdlib.llm import agent
from tta_dev_primitives.stdlib.llm._arguments import MAX_ARGUMENT_BYTES, MAX_ARGUMENT_DEPTH, MAX_RESULT_DEPTH, ArgumentLimitError, check_arguments
from tta_dev_primitives.stdlib.llm.providers._base import arguments_object


def nested(levels: int) -> str:
    """Arguments `{"input": [[...]]}` nesting `levels` arrays and objects in all."""
    return '{"input": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def nested_value(levels: int) -> dict[str, object]:
    inner: list[object] = []
    for _ in range(levels - 2):
        inner = [inner]
    return {"input": inner}


def echo(value: Any) -> str:
    """Say what it was given."""
    return repr(value)


def test_arguments_nested_up_to_the_limit_pass_and_deeper_ones_are_refused() -> None:
    check_arguments(nested(MAX_ARGUMENT_DEPTH), tool="echo")
    check_arguments(nested(MAX_ARGUMENT_DEPTH).encode(), tool="echo")
    check_arguments(nested_value(MAX_ARGUMENT_DEPTH), tool="echo")
    for deeper in (nested(MAX_ARGUMENT_DEPTH + 1), nested(MAX_ARGUMENT_DEPTH + 1).encode(), nested_value(MAX_ARGUMENT_DEPTH + 1)):
        with pytest.raises(ArgumentLimitError, match=r"echo: arguments nested deeper than 64 levels") as info:
            check_arguments(deeper, tool="echo")
        assert isinstance(info.value, ToolArgumentsError) and (info.value.limit, info.value.maximum) == ("depth", 64)
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_brackets_inside_strings_do_not_nest() -> None:
    check_arguments('{"q": "' + "[{" * 1000 + '"}', tool="search")
    check_arguments('{"q": "\\"' + "[" * 1000 + '\\\\", "r": []}', tool="search")  # escaped quotes stay inside
    with pytest.raises(ArgumentLimitError):
        check_arguments('{"q": "\\\\", "r": ' + "[" * 1000 + "}", tool="search")  # the string ended at \\"


def test_arguments_larger_than_the_limit_are_refused() -> None:
    check_arguments('{"q": "' + "x" * (MAX_ARGUMENT_BYTES - 9) + '"}', tool="search")
    for big in ('{"q": "' + "x" * MAX_ARGUMENT_BYTES + '"}', '{"q": "' + "é" * (MAX_ARGUMENT_BYTES // 2) + '"}', {"q": "x" * MAX_ARGUMENT_BYTES}):
        with pytest.raises(ArgumentLimitError, match=r"search: arguments larger than 1048576 bytes"):
            check_arguments(big, tool="search")


def test_decoded_arguments_that_contain_themselves_end_at_the_depth_limit() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ArgumentLimitError, match="nested deeper"):
        check_arguments({"input": loop}, tool="echo")


@pytest.mark.anyio
async def test_an_agent_answers_deeply_nested_arguments_with_a_tool_error_and_goes_on() -> None:
    model = FakeChatModel(script=[ToolCall("1", "echo", nested(5000)), "gave up"])
    assert await compile(agent(model, [tool(echo)], max_turns=3)).run("?") == "gave up"
    assert model.requests[1].messages[-1].content == (
        "error: echo: arguments nested deeper than 64 levels are refused (the limit for a tool call's arguments)"
    )


@pytest.mark.anyio
async def test_invoke_refuses_deeply_nested_arguments_as_text_and_as_decoded_values() -> None:
    for deep in (nested(5000), nested(5000).encode(), nested_value(5000)):
        result = await tool(echo).invoke(deep)
        assert result.is_error and "nested deeper than 64 levels" in result.content()


@pytest.mark.anyio
async def test_huge_ints_and_lone_surrogates_are_tool_errors() -> None:
    for bad in ('{"input": ' + "1" * 5000 + "}", '{"input": "\\ud800"}', '{"input": "\ud800"}'):
        model = FakeChatModel(script=[ToolCall("1", "echo", bad), "gave up"])
        assert await compile(agent(model, [tool(echo)], max_turns=3)).run("?") == "gave up"
        assert model.requests[1].messages[-1].content.startswith("error: echo: invalid arguments=")
    assert (await tool(echo).invoke('{"input": "\\ud83d\\ude00"}')).value == "'😀'"  # a surrogate pair is one character


def test_deeply_nested_arguments_are_replayed_to_providers_as_an_empty_object() -> None:
    assert arguments_object(nested(5000)) == {}
    assert arguments_object(nested(3)) == {"input": [[]]}


def anything(value: object) -> str:
    """Say what it was given."""
    return repr(value)


@pytest.mark.anyio
async def test_a_tool_taking_object_receives_the_models_arguments() -> None:
    any_json = tool(anything)
    assert any_json.parameters == {
        "type": "object",
        "properties": {"input": {"description": "any JSON value"}},
        "required": ["input"],
        "additionalProperties": False,
    }
    assert (await any_json.invoke('{"input": {"k": [1, null]}}')).value == "{'k': [1, None]}"
    assert (await any_json.invoke('{"input": 3}')).value == "3"
    assert (await any_json.invoke('{"k": 1}')).is_error  # not silently None
    model = FakeChatModel(script=[ToolCall("1", "anything", '{"input": "hi"}'), "done"])
    assert await compile(agent(model, [any_json], max_turns=2)).run("?") == "done"
    assert model.requests[1].messages[-1].content == "'hi'"


class Note(TypedDict):
    title: str
    body: object
    extra: Any


@dataclass
class Event:
    kind: str
    payload: object


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("input_type", "arguments", "received"),
    [
        (dict[str, object], '{"a": [1], "b": null}', {"a": [1], "b": None}),
        (object | None, '{"input": {"a": 1}}', {"a": 1}),
        (list[object], '{"input": [1, "x", {}]}', [1, "x", {}]),
        (Note, '{"title": "t", "body": [1], "extra": {"x": 2}}', {"title": "t", "body": [1], "extra": {"x": 2}}),
        (Event, '{"kind": "k", "payload": {"p": true}}', Event("k", {"p": True})),
    ],
)
async def test_object_inside_an_input_type_takes_any_json(input_type: object, arguments: str, received: object) -> None:
    def take(value: Any) -> str:
        """Take a value."""
        return repr(value)

    take.__annotations__["value"] = input_type
    taking = tool(take)
    assert "any JSON value" in str(taking.parameters)
    result = await taking.invoke(arguments)
    assert (result.error, result.value) == (None, repr(received))


# -- values JSON cannot carry, however they arrive -----------------------------------------------


def test_decoded_arguments_with_a_lone_surrogate_or_a_non_finite_float_are_refused() -> None:
    """What `json.loads` makes of `"\\ud800"` and `NaN`: no request can carry them on, so they
    are refused like the text the strict decoder refuses (in a value or a key, at any depth)."""
    for bad, problem in (
        ({"city": "\ud800"}, "lone surrogate"),
        ({"\udc00": 1}, "lone surrogate"),
        ({"input": [{"a": ["x", "\ud800y"]}]}, "lone surrogate"),
        ({"input": float("nan")}, "NaN or Infinity"),
        ({"input": [float("-inf")]}, "NaN or Infinity"),
    ):
        with pytest.raises(ToolArgumentsError, match=f"arguments JSON can carry \\(no {problem}") as info:
            check_arguments(bad, tool="weather")
        assert not isinstance(info.value, ArgumentLimitError)
    check_arguments({"city": "Zürich 😀", "days": 2, "rate": 1.5}, tool="weather")  # non-ASCII text is fine
    check_arguments('{"input": NaN}', tool="echo")  # text: the strict decoder's to refuse


@attrs.frozen
class Forecast:
    city: str
    days: int = 1


def weather(request: Forecast) -> str:
    """The weather for a city."""
    return f"{request.city}: rain for {request.days} day(s)"


def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


class DictArgumentsModel:
    """A ChatModel whose client hands over tool arguments already decoded (a dict), as some SDKs do."""

    provider = "custom"
    model = "dict-1"

    def __init__(self, arguments: dict[str, object]) -> None:
        self.arguments = arguments
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if len(self.requests) == 1:
            return ChatResponse("", self.model, 1, 1, (ToolCall("1", "weather", self.arguments),))  # type: ignore[arg-type]
        return ChatResponse("done", self.model, 1, 1)

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        yield "done"


@pytest.mark.anyio
async def test_decoded_arguments_holding_a_lone_surrogate_are_a_tool_error_not_a_crash() -> None:
    result = await tool(weather).invoke({"city": "Oslo", "days": "\ud800"})
    assert result.is_error and "no lone surrogate" in result.content()
    result = await tool(shout).invoke({"input": "\ud800"})  # a str field takes no lone surrogate either
    assert result.is_error and "no lone surrogate" in result.content()
    assert (await tool(weather).invoke({"city": "Oslo", "days": float("nan")})).is_error
    model = DictArgumentsModel({"city": "Oslo", "days": "\ud800"})
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("?") == "done"
    told = model.requests[1].messages[-1].content
    assert told.startswith("error: weather: invalid arguments='\\ud800'") and "no lone surrogate" in told
    told.encode("utf-8")  # what the model is told can be sent


def deep_result(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels):
        value = [value]
    return value


def producing(value: object) -> Callable[[str], object]:
    def produce(x: str) -> object:
        """Produce a value."""
        return value

    return produce


@pytest.mark.anyio
async def test_a_result_too_deep_to_encode_or_containing_itself_is_a_tool_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    for value in (deep_result(MAX_RESULT_DEPTH), deep_result(5000), loop):  # deeper than the bound, whatever the recursion limit
        produce = producing(value)
        result = await tool(produce).invoke('{"input": "x"}')
        assert result.error is not None and result.error.startswith("produce ran but returned a list, which cannot be sent as JSON")
        model = FakeChatModel(script=[ToolCall("1", "produce", '{"input": "x"}'), "done"])
        assert await compile(agent(model, [tool(produce)], max_turns=3)).run("?") == "done"
        assert model.requests[1].messages[-1].content.startswith("error: produce ran but returned a list")
    assert (await tool(producing(deep_result(MAX_RESULT_DEPTH - 1))).invoke('{"input": "x"}')).error is None  # at the bound: sent


def listing(path: str) -> str:
    """List a directory."""
    return b"report-\xff.txt".decode("utf-8", "surrogateescape")  # what os.listdir gives for a name not in UTF-8


@pytest.mark.anyio
async def test_a_text_result_with_a_lone_surrogate_is_a_tool_error_and_the_next_request_goes_out(server: ProviderServer) -> None:
    openai = pytest.importorskip("openai")
    from tta_dev_primitives.stdlib.llm.providers import OpenAIChatModel

    result = await tool(listing).invoke('{"input": "/data"}')
    assert result.error is not None and result.error.startswith("listing ran but returned a str, which cannot be sent as JSON")
    call = {"id": "t1", "type": "function", "function": {"name": "listing", "arguments": '{"input": "/data"}'}}
    server.add(
        Answer.json(_completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")),
        Answer.json(_completion({"role": "assistant", "content": "done"}, "stop")),
    )
    async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.base_url + "/v1") as client:
        assert await compile(agent(OpenAIChatModel(client, "gpt-4o-mini"), [tool(listing)], max_turns=3)).run("?") == "done"
    assert server.received[1].body["messages"][-1]["content"].startswith("error: listing ran but returned a str")


def _completion(message: dict[str, object], finish: str) -> dict[str, object]:
    return {
        "id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def test_arguments_json_cannot_carry_are_replayed_to_providers_as_an_empty_object() -> None:
    for bad in ('{"input": NaN}', '{"input": Infinity}', '{"input": "\\ud800"}', '{"input": "\ud800"}', '{"input": ' + "9" * 5000 + "}"):
        assert arguments_object(bad) == {}, bad
    assert arguments_object('{"input": "\\ud83d\\ude00", "n": 1.5}') == {"input": "😀", "n": 1.5}


def _anthropic_tool_use(input_json: str) -> Answer:
    body = (
        '{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "stop_reason": "tool_use",'
        ' "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1},'
        ' "content": [{"type": "tool_use", "id": "tu_1", "name": "echo", "input": ' + input_json + "}]}"
    )
    return Answer(200, body, (("content-type", "application/json"),))


@pytest.mark.anyio
@pytest.mark.parametrize("input_json", ['{"input": "\\ud800"}', '{"input": NaN}'], ids=["lone-surrogate", "nan"])
async def test_anthropic_tool_use_input_json_cannot_carry_is_a_tool_error_and_replayed_as_empty(server: ProviderServer, input_json: str) -> None:
    """The SDK's json.loads takes `"\\ud800"` and NaN in `tool_use.input`; the tool refuses them,
    and the call goes back to the provider as `{}` (its encoder would fail the next request)."""
    anthropic = pytest.importorskip("anthropic")
    from tta_dev_primitives.stdlib.llm.providers import AnthropicChatModel

    done = {"id": "msg_2", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "content": [{"type": "text", "text": "done"}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}  # fmt: skip
    server.add(_anthropic_tool_use(input_json), Answer.json(done))
    async with anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.base_url) as client:
        model = AnthropicChatModel(client, "claude-haiku-4-5", max_tokens=100)
        assert await compile(agent(model, [tool(echo)], max_turns=3)).run("?") == "done"
    assistant, results = server.received[1].body["messages"][1:]
    assert assistant["content"] == [{"type": "tool_use", "id": "tu_1", "name": "echo", "input": {}}]
    assert results["content"][0]["content"].startswith("error: echo: invalid arguments")


# -- **kwargs --------------------------------------------------------------------------------------


def test_a_function_taking_only_kwargs_is_refused_as_a_tool() -> None:
    """A node passes its one input, never keyword arguments: such a tool would run with `{}`
    whatever the model wrote, so it is refused at build, as a function of `*args` is."""

    def search(**filters: str) -> str:
        """Search with filters."""
        return repr(filters)

    for target in (search, node(search), compile(node(search))):
        with pytest.raises(BuildError, match=r"tool 'search': .*search takes only \*\*kwargs.*TypedDict.*dict\[str, T\]"):
            tool(target)  # type: ignore[call-overload]

    def search_by(filters: dict[str, str]) -> str:
        """Search with filters."""
        return repr(filters)

    assert tool(search_by).parameters["type"] == "object"  # what to write instead
