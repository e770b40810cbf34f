"""Tools: JSON Schema and validation from the input type (msgspec, or pydantic for its models), errors back to the model."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, TypedDict

import attrs
import pydantic
import pytest

from tta_dev_primitives import BuildError, ConfigError, FakeChatModel, ToolArgumentsError, ToolCall, agent, compile, node, structured_prompt, tool
from tta_dev_primitives.errors import SchemaMismatch

pytestmark = pytest.mark.anyio


@attrs.frozen
class Forecast:
    city: str
    days: int = 3
    unit: Literal["c", "f"] = "c"


class Priority(enum.Enum):
    LOW = "low"
    HIGH = "high"


@dataclass
class Ticket:
    title: str
    priority: Priority
    tags: list[str] | None = None


class Query(TypedDict):
    text: str
    limit: int


async def weather(request: Forecast) -> str:
    """Forecast for a city.

    Longer notes that the model does not need."""
    return f"{request.city}: sunny for {request.days} days ({request.unit})"


def open_ticket(ticket: Ticket) -> int:
    """Open a support ticket; returns its number."""
    return len(ticket.title)


def search(query: Query) -> list[str]:
    """Search the documents."""
    return [query["text"]] * query["limit"]


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_the_schema_comes_from_the_input_type() -> None:
    forecast = tool(weather)
    assert forecast.definition() == {
        "name": "weather",
        "description": "Forecast for a city.",
        "parameters": {
            "title": "Forecast",
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "default": 3},
                "unit": {"enum": ["c", "f"], "default": "c"},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    }
    ticket = tool(open_ticket).parameters
    assert ticket["required"] == ["title", "priority"]
    assert ticket["$defs"] == {"Priority": {"title": "Priority", "enum": ["high", "low"]}}  # msgspec sorts enum values
    assert sorted(tool(search).parameters["required"]) == ["limit", "text"]  # type: ignore[call-overload]
    wrapped = tool(shout)  # not a JSON object: wrapped, since providers want object parameters
    assert wrapped.parameters == {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"], "additionalProperties": False}


async def test_arguments_are_validated_and_the_tool_runs() -> None:
    forecast = tool(weather)
    result = await forecast.invoke('{"city": "Oslo", "days": 2}')
    assert (result.is_error, result.content()) == (False, "Oslo: sunny for 2 days (c)")
    ticket = await tool(open_ticket).invoke({"title": "broken", "priority": "high", "tags": ["a"]})
    assert ticket.value == 6 and ticket.content() == "6"
    assert (await tool(shout).invoke({"input": "hey"})).value == "HEY"


async def test_bad_arguments_come_back_to_the_model_as_an_error_never_a_crash() -> None:
    forecast = tool(weather)
    wrong_type = await forecast.invoke('{"city": 5}')
    assert wrong_type.is_error and "Expected `str`, got `int` - at `$.city`" in wrong_type.content()
    missing = await forecast.invoke("{}")
    assert missing.is_error and "city" in missing.content()
    assert (await forecast.invoke("not json")).is_error
    assert (await forecast.invoke("[1, 2]")).is_error
    assert (await tool(open_ticket).invoke({"title": "x", "priority": "urgent"})).is_error
    with pytest.raises(ToolArgumentsError, match=r"tool 'weather'|weather"):
        forecast.parse('{"city": 5}')


@dataclass
class Stop:
    city: str


@dataclass
class Trip:
    stops: list[Stop]
    home: Stop | None = None


@dataclass
class Tree:
    name: str
    children: list[Tree]


class Loose(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    name: str


class Strict(pydantic.BaseModel):
    name: str


def plan_trip(trip: Trip) -> int:
    """Plan a trip."""
    return len(trip.stops)


def greet_loose(person: Loose) -> str:
    """Greet someone (extra fields welcome)."""
    return person.name


def greet_strict(person: Strict) -> str:
    """Greet someone."""
    return person.name


def ping() -> str:
    """Answer pong."""
    return "pong"


async def test_unknown_arguments_are_refused_naming_them_and_the_known_ones() -> None:
    forecast = tool(weather)
    assert forecast.parameters["additionalProperties"] is False  # what the schema says, the parser holds
    result = await forecast.invoke('{"city": "Oslo", "days": 2, "hourly": true, "lang": "no"}')
    assert result.is_error and "unknown fields `hourly`, `lang`; its fields are `city`, `days`, `unit`" in result.content()
    for fn, arguments in ((open_ticket, {"title": "x", "priority": "high", "owner": "me"}), (search, {"text": "a", "limit": 1, "sort": "new"})):
        with pytest.raises(ToolArgumentsError, match="unknown field"):  # a dataclass, a TypedDict
            tool(fn).parse(arguments)
    trip = tool(plan_trip)
    with pytest.raises(ToolArgumentsError, match=r"Object at `\$.stops\[1\]` contains unknown field `country`; its fields are `city`"):
        trip.parse({"stops": [{"city": "a"}, {"city": "b", "country": "c"}]})
    with pytest.raises(ToolArgumentsError, match=r"Object at `\$.home` contains unknown field `zip`"):
        trip.parse({"stops": [], "home": {"city": "a", "zip": "1"}})
    assert trip.parse({"stops": [{"city": "a"}], "home": None}) == Trip([Stop("a")])
    with pytest.raises(ToolArgumentsError, match=r'only an "input" field \(Object contains unknown field `loud`'):
        tool(shout).parse({"input": "hi", "loud": True})
    # pydantic: a model that ignores extra fields is closed too; one that allows them says so and keeps them
    with pytest.raises(ToolArgumentsError, match="unknown field `age`"):
        tool(greet_strict).parse({"name": "x", "age": 3})
    loose = tool(greet_loose)
    assert loose.parameters["additionalProperties"] is True and loose.parse({"name": "x", "age": 3}).model_extra == {"age": 3}
    assert tool(ping).parse({"anything": 1}) is None  # a tool that takes nothing ignores what it is sent
    # the model reads which arguments exist and calls again
    model = FakeChatModel(script=[ToolCall("1", "weather", '{"city": "Oslo", "hourly": true}'), ToolCall("2", "weather", '{"city": "Oslo"}'), "ok"])
    assert await compile(agent(model, [forecast], max_turns=3)).run("?") == "ok"
    assert "unknown field `hourly`" in model.requests[1].messages[-1].content
    assert model.requests[2].messages[-1].content == "Oslo: sunny for 3 days (c)"


async def test_errors_raised_by_the_tool_are_reported_to_the_model() -> None:
    def explode(request: Forecast) -> str:
        """Always fails."""
        raise RuntimeError("upstream down")

    result = await tool(explode).invoke({"city": "x"})
    assert result.is_error and result.content() == "error: RuntimeError: upstream down"


async def test_secrets_in_a_tools_error_never_reach_the_model() -> None:
    def fetch(request: Forecast) -> str:
        """Calls an API with a key in its URL."""
        raise RuntimeError("GET https://api.example.com/v1/forecast?api_key=sk-proj-abcdefghijklmnopqrstuvwxyz0123 failed")

    def broken(request: Forecast) -> object:
        """Fails with a token in its message."""
        raise ValueError("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 refused")

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def unprintable(request: Forecast) -> object:
        """Fails with an error whose message cannot be rendered."""
        raise Unprintable

    result = await tool(fetch).invoke({"city": "x"})
    assert result.content() == "error: RuntimeError: GET https://api.example.com/v1/forecast?api_key=*** failed"
    assert (await tool(broken).invoke({"city": "x"})).content() == "error: ValueError: token *** refused"
    assert (await tool(unprintable).invoke({"city": "x"})).content() == "error: Unprintable: <its message could not be rendered>"


async def test_a_compiled_plan_is_a_tool_too() -> None:
    def to_forecast(city: str) -> Forecast:
        return Forecast(city)

    plan = compile(node(to_forecast) >> node(weather))
    as_tool = plan.as_tool(name="city_weather", description="Weather for a city name.")
    assert as_tool.parameters["properties"] == {"input": {"type": "string"}}
    assert (await as_tool.invoke({"input": "Rome"})).value == "Rome: sunny for 3 days (c)"


def test_bad_tool_definitions_are_build_time_errors() -> None:
    with pytest.raises(BuildError, match="input type is unknown \\(not annotated"):
        tool(lambda x: x, name="anon", description="d")
    def undocumented(request: Forecast) -> str:
        return ""

    with pytest.raises(ConfigError, match="description"):
        tool(undocumented)
    with pytest.raises(ConfigError, match=r"letters, digits"):
        tool(weather, name="get weather")


async def test_the_fake_model_replays_scripted_tool_calls_and_text() -> None:
    from tta_dev_primitives import ChatMessage, ChatRequest, FakeChatModel, ToolCall

    model = FakeChatModel(
        script=[
            [ToolCall("c1", "weather", '{"city": "Oslo"}'), ToolCall("c2", "weather", '{"city": "Rome"}')],
            "Oslo and Rome are sunny.",
        ]
    )
    first = await model.complete(ChatRequest.of("weather in Oslo and Rome?"))
    assert [c.name for c in first.tool_calls] == ["weather", "weather"] and first.text == ""
    assert first.message() == ChatMessage("assistant", "", first.tool_calls)
    forecast = tool(weather)
    answers = [await forecast.invoke(call.arguments) for call in first.tool_calls]
    follow_up = ChatRequest(
        (
            ChatMessage("user", "weather in Oslo and Rome?"),
            first.message(),
            *(ChatMessage("tool", a.content(), tool_call_id=c.id) for a, c in zip(answers, first.tool_calls)),
        )
    )
    second = await model.complete(follow_up)
    assert (second.text, second.tool_calls) == ("Oslo and Rome are sunny.", ())
    assert model.requests[1].messages[2].tool_call_id == "c1"
    with pytest.raises(ConfigError, match=r"FakeChatModel\('fake-small'\): invalid script='2 replies'; expected a reply for call 3"):
        await model.complete(ChatRequest.of("again"))
    with pytest.raises(ConfigError, match="either reply= or script="):
        FakeChatModel(reply=lambda r: "x", script=["y"])


class Booking(pydantic.BaseModel):
    """A pydantic model as a tool's input: schema and validation come from pydantic."""

    hotel: str
    nights: int = pydantic.Field(ge=1, le=30)


async def test_pydantic_models_get_pydantics_schema_and_validation() -> None:
    async def book(booking: Booking) -> Booking:
        """Book a hotel."""
        return booking

    booker = tool(book)
    assert booker.validator.library == "pydantic"
    assert booker.parameters["required"] == ["hotel", "nights"] and not booker.wrapped
    nights = booker.parameters["properties"]["nights"]  # type: ignore[index]
    assert nights["minimum"] == 1 and nights["maximum"] == 30
    result = await booker.invoke('{"hotel": "Fjord", "nights": 2}')
    assert result.value == Booking(hotel="Fjord", nights=2) and result.content() == '{"hotel":"Fjord","nights":2}'
    bad = await booker.invoke('{"hotel": "Fjord", "nights": 0}')
    assert bad.error is not None and "nights" in bad.error and "greater than or equal to 1" in bad.error


async def test_structured_output_into_a_list_of_pydantic_models() -> None:
    model = FakeChatModel(script=['{"input": [{"hotel": "A", "nights": 40}]}', '{"input": [{"hotel": "A", "nights": 3}]}'])
    result = await compile(structured_prompt(model, list[Booking])).run("bookings?")
    assert result == [Booking(hotel="A", nights=3)]
    assert "less than or equal to 30" in model.requests[1].messages[-1].content


class Opaque:
    pass


def test_a_type_no_library_can_describe_is_a_build_error_naming_the_tool() -> None:
    def use(value: Opaque) -> str:
        """Use it."""
        return "ok"

    with pytest.raises(BuildError, match=r"tool 'use': no JSON Schema for .*Opaque"):
        tool(use)


def test_descriptions_come_from_the_users_function_not_a_library_class() -> None:
    from tta_dev_primitives import Retry

    def weather(city: str) -> str:
        """The weather in a city."""
        return city

    assert tool(Retry(max_attempts=2)(node(weather)), name="weather").description == "The weather in a city."
    assert tool(compile(node(weather).retry(max_attempts=2)), name="weather").description == "The weather in a city."
    two_steps = compile(node(weather) >> node(weather))
    with pytest.raises(ConfigError, match=r"tool 'twice'.*description="):
        two_steps.as_tool(name="twice")
    assert two_steps.as_tool(name="twice", description="Twice.").description == "Twice."


@pytest.mark.parametrize("bad", ["météo", "天气", "a" * 65, "two words", ""])
def test_tool_names_providers_reject_are_build_errors(bad: str) -> None:
    def weather(city: str) -> str:
        """The weather."""
        return city

    with pytest.raises(ConfigError, match="name"):
        tool(weather, name=bad)
    assert tool(weather, name="a" * 64).name == "a" * 64


async def test_a_function_of_no_arguments_is_a_tool_taking_an_empty_object() -> None:
    def now() -> str:
        """The current time."""
        return "12:00"

    clock = tool(now)
    assert clock.definition()["parameters"] == {"type": "object", "properties": {}}
    assert (await clock.invoke("{}")).value == "12:00"
    model = FakeChatModel(script=[ToolCall("c1", "now", "{}"), "noon"])
    assert await compile(agent(model, [clock], max_turns=2)).run("time?") == "noon"
    assert model.requests[1].messages[-1].content == "12:00"


def test_unknown_fields_follow_unions_to_the_branch_the_value_takes() -> None:
    import msgspec

    from tta_dev_primitives.stdlib.llm._schema import type_schema, unknown_fields

    class Cat(msgspec.Struct, tag=True):
        lives: int

    class Dog(msgspec.Struct, tag=True):
        good: bool

    tagged = type_schema(list[Cat | Dog], where="test", closed=True).schema
    assert unknown_fields(tagged, [{"type": "Cat", "lives": 9}, {"type": "Dog", "good": True}]) is None
    assert unknown_fields(tagged, [{"type": "Cat", "lives": 9}, {"type": "Dog", "good": True, "lives": 1}]) == (
        "Object at `$[1]` contains unknown field `lives`; its fields are `type`, `good`"
    )
    class Other(pydantic.BaseModel):
        title: str

    either = type_schema(Strict | Other, where="test", closed=True)  # pydantic: two records and no tag
    assert unknown_fields(either.schema, {"name": "x", "age": 3}) is None  # which record? the converter decides
    assert either.convert({"title": "t"}) == Other(title="t")
    open_dict = type_schema(dict[str, Stop], where="test", closed=True).schema  # any key; each value a closed record
    assert unknown_fields(open_dict, {"a": {"city": "x"}, "b": {"city": "y"}}) is None
    assert unknown_fields(open_dict, {"a": {"city": "x", "pop": 1}}) == "Object at `$.a` contains unknown field `pop`; its fields are `city`"
    many = {f"f{i}": i for i in range(30)}
    message = unknown_fields(type_schema(Stop, where="test", closed=True).schema, {"city": "x", **many})
    assert message is not None and message.endswith("`f19` and 10 more; its fields are `city`")
    tree = type_schema(Tree, where="test", closed=True)  # a recursive type: its definition is checked at every level
    deep = {"name": "a", "children": [{"name": "b", "children": [{"name": "c", "children": [], "size": 1}]}]}
    assert unknown_fields(tree.schema, deep) == "Object at `$.children[0].children[0]` contains unknown field `size`; its fields are `name`, `children`"
    nested: dict[str, object] = {"name": "leaf", "children": []}
    for _ in range(5000):
        nested = {"name": "n", "children": [nested]}
    with pytest.raises(SchemaMismatch, match="nested too deeply to check"):  # not a RecursionError (tool arguments stop at 64 levels before)
        tree.convert(nested)

