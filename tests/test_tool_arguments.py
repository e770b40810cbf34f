"""A tool call's arguments: bounded in depth and size before they are decoded, invalid JSON
(huge ints, lone surrogates) answered as a tool error, and tools typed `object` given them."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import pytest
from typing_extensions import TypedDict

from tta_dev_primitives import FakeChatModel, ToolArgumentsError, ToolCall, compile, tool
from tta_dev_primitives.stdlib.llm import agent
from tta_dev_primitives.stdlib.llm.arguments import MAX_ARGUMENT_BYTES, MAX_ARGUMENT_DEPTH, ArgumentLimitError, check_arguments
from tta_dev_primitives.stdlib.llm.providers.base import arguments_object


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
