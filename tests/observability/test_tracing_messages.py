"""Model call spans read as conversations (OpenInference's messages, invocation parameters and
tools, as LLM instrumentations write them for Phoenix), and tool spans describe their tool.

Messages are content: only with `record_content`, masked and cut per message. Settings, tools and
the finish reason are configuration: always on the span.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import attrs
import pytest
from openinference.semconv.trace import MessageAttributes, SpanAttributes, ToolAttributes, ToolCallAttributes
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import GEN_AI_RESPONSE_FINISH_REASONS

from tta_dev_primitives import ChatRequest, FakeChatModel, ToolCall, agent, compile, genai, node, tool
from tta_dev_primitives.observability import TracingHook, configure_tracing
from tta_dev_primitives.observability._model_spans import FINISH_REASONS
from tta_dev_primitives.observability._semconv import SPAN_KIND, TOOL_DESCRIPTION, TOOL_NAME, TOOL_PARAMETERS
from tta_dev_primitives.observability._views import ModelInput, model_view, register_model_view
from tta_dev_primitives.stdlib.llm import ChatMessage, ToolSpec, chat_stream
from tta_dev_primitives.stdlib.llm._span_views import request_view

pytestmark = pytest.mark.anyio

SECRET = "sk-proj-" + "Q" * 24
"""An OpenAI-shaped key: masked wherever a message carries it."""


def weather(city: str) -> str:
    """The weather in a city."""
    return f"rain in {city}"


def population(city: str) -> int:
    """How many people live in a city."""
    return 700_000


def tracer(record_content: bool, content_limit: int = 8192) -> tuple[TracingHook, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False, record_content=record_content, content_limit=content_limit)
    assert hook is not None
    return hook, exporter


def kind(spans: tuple[ReadableSpan, ...], name: str) -> list[Mapping[str, object]]:
    """The attributes of the spans of OpenInference kind `name`, in the order they started."""
    return [dict(s.attributes or {}) for s in sorted(spans, key=lambda s: s.start_time or 0) if (s.attributes or {}).get(SPAN_KIND) == name]


def llm_part(attributes: Mapping[str, object]) -> dict[str, object]:
    """The attributes this feature writes: messages, parameters, tools, finish reasons."""
    return {k: v for k, v in attributes.items() if k.startswith(("llm.input_messages.", "llm.output_messages.", "llm.tools.", "llm.invocation", "llm.finish")) or k == FINISH_REASONS}


def tool_schema(name: str, description: str) -> str:
    """A str-argument tool as LLM instrumentations record it (OpenAI's function-tool shape)."""
    parameters = {"additionalProperties": False, "properties": {"input": {"type": "string"}}, "required": ["input"], "type": "object"}
    return json.dumps({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})


TOOLS = {
    "llm.tools.0.tool.json_schema": tool_schema("weather", "The weather in a city."),
    "llm.tools.1.tool.json_schema": tool_schema("population", "How many people live in a city."),
}
PARAMETERS = {"llm.invocation_parameters": json.dumps({"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 50})}


def two_turns() -> FakeChatModel:
    """Calls both tools, then answers."""
    calls = [ToolCall("call_1", "weather", '{"input": "Oslo"}'), ToolCall("call_2", "population", '{"input": "Oslo"}')]
    return FakeChatModel("gpt-4o-mini", script=[calls, "Rainy, 700000 people."])


async def run_agent(hook: TracingHook, prompt: str = "Weather and size of Oslo?") -> str:
    bot = agent(two_turns(), [tool(weather), tool(population)], max_turns=3, system="Be brief.", temperature=0.2, max_tokens=50)
    answer: str = await compile(bot).with_hooks(hook).run(prompt)
    return answer


def test_the_names_are_openinferences_and_genais() -> None:
    """The names written by hand (usable without the otel extra) are the published ones."""
    assert (TOOL_NAME, TOOL_DESCRIPTION, TOOL_PARAMETERS) == (SpanAttributes.TOOL_NAME, SpanAttributes.TOOL_DESCRIPTION, SpanAttributes.TOOL_PARAMETERS)
    assert FINISH_REASONS == GEN_AI_RESPONSE_FINISH_REASONS
    message = f"{SpanAttributes.LLM_INPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_TOOL_CALLS}.0.{ToolCallAttributes.TOOL_CALL_FUNCTION_NAME}"
    assert message == "llm.input_messages.0.message.tool_calls.0.tool_call.function.name"
    assert f"{SpanAttributes.LLM_TOOLS}.0.{ToolAttributes.TOOL_JSON_SCHEMA}" == "llm.tools.0.tool.json_schema"


async def test_an_agents_model_spans_carry_the_conversation_its_settings_and_its_tools() -> None:
    """Turn one is sent the system and user messages and replies with two tool calls; turn two
    is also sent that reply and both tool results, and answers. Each span has the settings,
    the tools and the finish reason; the input and output values stay for the Input/Output tabs."""
    hook, exporter = tracer(record_content=True)
    assert await run_agent(hook) == "Rainy, 700000 people."
    first, second = kind(exporter.get_finished_spans(), "LLM")
    sent = {
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Be brief.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "Weather and size of Oslo?",
    }
    calls = {
        "message.role": "assistant",
        "message.tool_calls.0.tool_call.id": "call_1",
        "message.tool_calls.0.tool_call.function.name": "weather",
        "message.tool_calls.0.tool_call.function.arguments": '{"input": "Oslo"}',
        "message.tool_calls.1.tool_call.id": "call_2",
        "message.tool_calls.1.tool_call.function.name": "population",
        "message.tool_calls.1.tool_call.function.arguments": '{"input": "Oslo"}',
    }
    assert llm_part(first) == {
        **sent,
        **{f"llm.output_messages.0.{k}": v for k, v in calls.items()},
        **PARAMETERS,
        **TOOLS,
        FINISH_REASONS: ("tool_calls",),
        SpanAttributes.LLM_FINISH_REASON: "tool_calls",
    }
    assert llm_part(second) == {
        **sent,
        **{f"llm.input_messages.2.{k}": v for k, v in calls.items()},
        "llm.input_messages.3.message.role": "tool",
        "llm.input_messages.3.message.content": "rain in Oslo",
        "llm.input_messages.3.message.tool_call_id": "call_1",
        "llm.input_messages.4.message.role": "tool",
        "llm.input_messages.4.message.content": "700000",
        "llm.input_messages.4.message.tool_call_id": "call_2",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Rainy, 700000 people.",
        **PARAMETERS,
        **TOOLS,
        FINISH_REASONS: ("stop",),
        SpanAttributes.LLM_FINISH_REASON: "stop",
    }
    assert json.loads(str(second[SpanAttributes.INPUT_VALUE]))["messages"][4]["content"] == "700000"
    assert json.loads(str(second[SpanAttributes.OUTPUT_VALUE]))["text"] == "Rainy, 700000 people."


async def test_without_content_model_spans_carry_settings_tools_and_finish_reason_only() -> None:
    hook, exporter = tracer(record_content=False)
    await run_agent(hook)
    first, second = kind(exporter.get_finished_spans(), "LLM")
    assert llm_part(first) == {**PARAMETERS, **TOOLS, FINISH_REASONS: ("tool_calls",), SpanAttributes.LLM_FINISH_REASON: "tool_calls"}
    assert llm_part(second) == {**PARAMETERS, **TOOLS, FINISH_REASONS: ("stop",), SpanAttributes.LLM_FINISH_REASON: "stop"}
    texts = json.dumps([dict(s.attributes or {}) for s in exporter.get_finished_spans()], default=str)
    assert "Oslo" not in texts and "Be brief" not in texts and "rain in" not in texts and "input.value" not in texts


async def test_secrets_in_messages_tool_arguments_and_results_are_masked() -> None:
    def lookup(key: str) -> str:
        """Looks a key up."""
        return f"found {key}"

    model = FakeChatModel("gpt-4o-mini", script=[ToolCall("call_1", "lookup", json.dumps({"input": f"api_key={SECRET}"})), "ok"])
    hook, exporter = tracer(record_content=True)
    await compile(agent(model, [tool(lookup)], max_turns=2)).with_hooks(hook).run(f"my key is {SECRET}")
    first, second = kind(exporter.get_finished_spans(), "LLM")
    assert first["llm.input_messages.0.message.content"] == "my key is sk-***"
    assert "Q" * 24 not in json.dumps([first, second], default=str)
    assert "***" in str(second["llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments"])
    assert "***" in str(second["llm.input_messages.2.message.content"])  # the tool's result


async def test_each_message_is_cut_at_the_content_limit() -> None:
    hook, exporter = tracer(record_content=True, content_limit=12)
    model = FakeChatModel("gpt-4o-mini", script=["a short one"])
    await compile(agent(model, [tool(weather)], max_turns=1, system="s" * 30)).with_hooks(hook).run("q" * 20)
    (spanned,) = kind(exporter.get_finished_spans(), "LLM")
    assert spanned["llm.input_messages.0.message.content"] == "s" * 12 + "… [18 more characters]"
    assert spanned["llm.input_messages.1.message.content"] == "q" * 12 + "… [8 more characters]"
    assert spanned["llm.output_messages.0.message.content"] == "a short one"


async def test_a_streamed_model_call_shows_its_request_and_the_text_it_streamed() -> None:
    hook, exporter = tracer(record_content=True, content_limit=10)
    model = FakeChatModel("gpt-4o-mini", script=["one two three four"])
    request = ChatRequest.of("count", system="Count.", temperature=0.0, stop=["five"])
    assert await compile(chat_stream(model)).with_hooks(hook).run(request) == "one two three four"
    (spanned,) = kind(exporter.get_finished_spans(), "LLM")
    assert llm_part(spanned) == {
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Count.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.content": "count",
        "llm.invocation_parameters": json.dumps({"temperature": 0.0, "stop": ["five"]}),
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "one two th… [8 more characters]",  # the stream's whole length counts
    }
    quiet, quiet_exporter = tracer(record_content=False)
    await compile(chat_stream(FakeChatModel("gpt-4o-mini", script=["hi"]))).with_hooks(quiet).run(request)
    (spanned,) = kind(quiet_exporter.get_finished_spans(), "LLM")
    assert llm_part(spanned) == {"llm.invocation_parameters": json.dumps({"temperature": 0.0, "stop": ["five"]})}


def test_a_request_shows_only_the_settings_it_sets() -> None:
    request = ChatRequest(
        [ChatMessage("user", "hi")],
        model="gpt-4o",
        temperature=0.5,
        max_tokens=10,
        tools=[ToolSpec("t", "A tool.", '{"type": "object"}')],
        response_format='{"name": "Answer", "schema": {"type": "object"}}',
        top_p=0.9,
        stop=("x", "y"),
        seed=3,
    )
    shown = request_view(request)
    assert shown.parameters == {
        "model": "gpt-4o",
        "temperature": 0.5,
        "top_p": 0.9,
        "max_tokens": 10,
        "stop": ["x", "y"],
        "seed": 3,
        "response_format": {"name": "Answer", "schema": {"type": "object"}},
    }
    assert json.loads(shown.tools[0]) == {"type": "function", "function": {"name": "t", "description": "A tool.", "parameters": {"type": "object"}}}
    assert request_view(ChatRequest.of("hi")).parameters == {}


def test_views_are_found_for_subclasses() -> None:
    @attrs.frozen
    class Logged(ChatRequest):
        pass

    shown = model_view(Logged([ChatMessage("user", "hi")], seed=1))
    assert isinstance(shown, ModelInput) and shown.parameters == {"seed": 1} and model_view("a prompt") is None


async def test_a_view_that_fails_costs_its_attributes_not_the_run_or_the_span(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.observability import _support

    monkeypatch.setattr(_support, "_warned", set())  # told once per process: forget the other backend's run

    class Prompt:
        pass

    def broken(value: Prompt) -> ModelInput:
        raise RuntimeError("view broke")

    register_model_view(Prompt, broken)
    hook, exporter = tracer(record_content=False)
    def answer(prompt: Prompt) -> str:
        return "answer"

    call = genai(node(answer, name="call"), provider="fake", model="m")
    assert await compile(call).with_hooks(hook).run(Prompt()) == "answer"
    (spanned,) = exporter.get_finished_spans()
    assert spanned.status.is_ok and "llm.invocation_parameters" not in (spanned.attributes or {})
    assert "could not record the model call's Prompt" in caplog.text


async def test_tool_spans_describe_their_tool_always() -> None:
    """A tool's span names and describes it and carries its JSON Schema, content or not; a plan
    used as a tool (a sub-agent) too."""
    helper = agent(FakeChatModel("m", script=["sunny"]), [tool(weather)], max_turns=1, name="helper")
    model = FakeChatModel("gpt-4o-mini", script=[[ToolCall("c1", "weather", '{"input": "Oslo"}'), ToolCall("c2", "helper", '{"input": "Oslo?"}')], "done"])
    hook, exporter = tracer(record_content=False)
    await compile(agent(model, [tool(weather), tool(compile(helper), description="Asks the helper.")], max_turns=2)).with_hooks(hook).run("hi")
    spans = {str(a[TOOL_NAME]): a for a in kind(exporter.get_finished_spans(), "TOOL")}
    assert spans["weather"][TOOL_DESCRIPTION] == "The weather in a city."
    schema = {"additionalProperties": False, "properties": {"input": {"type": "string"}}, "required": ["input"], "type": "object"}
    assert json.loads(str(spans["weather"][TOOL_PARAMETERS])) == schema
    assert spans["helper"][TOOL_DESCRIPTION] == "Asks the helper." and json.loads(str(spans["helper"][TOOL_PARAMETERS])) == schema


async def test_a_long_conversation_keeps_the_span_kind_the_system_prompt_and_the_latest_messages() -> None:
    """A span drops its oldest attributes when full (OpenTelemetry's 128 by default): a long
    conversation is written as its system message and its latest messages, as many as fit."""
    hook, exporter = tracer(record_content=True)
    history = [ChatMessage("system", "Be brief."), *(ChatMessage("user" if i % 2 else "assistant", f"message {i}") for i in range(1, 80))]
    model = FakeChatModel("gpt-4o-mini", reply=lambda request: "last")
    ask = compile(genai(node(model.complete), provider="fake", model="gpt-4o-mini"))  # type: ignore[arg-type]
    await ask.with_hooks(hook).run(ChatRequest(tuple(history)))
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert span.dropped_attributes == 0
    assert attributes[SPAN_KIND] == "LLM" and "workflow.correlation_id" in attributes
    first = f"{SpanAttributes.LLM_INPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_CONTENT}"
    assert attributes[first] == "Be brief."
    kept = sum(1 for key in attributes if key.endswith(f".{MessageAttributes.MESSAGE_ROLE}") and key.startswith(SpanAttributes.LLM_INPUT_MESSAGES))
    assert attributes["llm.input_messages_omitted"] == 80 - kept and kept > 20
    last = f"{SpanAttributes.LLM_INPUT_MESSAGES}.{kept - 1}.{MessageAttributes.MESSAGE_CONTENT}"
    assert attributes[last] == "message 79"  # the latest, renumbered after the ones left out
    assert attributes[f"{SpanAttributes.LLM_OUTPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_CONTENT}"] == "last"


async def test_a_prompt_string_is_the_users_message_and_a_text_reply_the_assistants() -> None:
    hook, exporter = tracer(record_content=True)
    model = FakeChatModel("gpt-4o-mini", reply=lambda request: "hello there")
    plan = compile(chat_stream(model)).with_hooks(hook)
    async with plan.stream("hi") as chunks:
        assert "".join([chunk async for chunk in chunks]) == "hello there"
    (attributes,) = kind(exporter.get_finished_spans(), "LLM")
    assert attributes[f"{SpanAttributes.LLM_INPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_ROLE}"] == "user"
    assert attributes[f"{SpanAttributes.LLM_INPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_CONTENT}"] == "hi"
    assert attributes[f"{SpanAttributes.LLM_OUTPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_CONTENT}"] == "hello there"


@attrs.frozen
class Login:
    user: str
    authorization: str


async def test_a_tool_argument_named_like_a_secret_is_masked_on_the_model_span_too() -> None:
    """The tool's span masks its arguments by field name; the model call's span, which carries
    the same arguments as JSON text, masks them the same way."""
    hook, exporter = tracer(record_content=True)

    def login(request: Login) -> str:
        """Log in."""
        return "ok"

    arguments = json.dumps({"user": "ann", "authorization": "plain-AAAA"})
    model = FakeChatModel("gpt-4o-mini", script=[ToolCall("c1", "login", arguments), "done"])
    assert await compile(agent(model, [tool(login)], max_turns=2)).with_hooks(hook).run("log in") == "done"
    leaked = [(s.name, k) for s in exporter.get_finished_spans() for k, v in (s.attributes or {}).items() if "plain-AAAA" in str(v)]
    assert leaked == []
    (asked, _) = kind(exporter.get_finished_spans(), "LLM")
    called = f"{SpanAttributes.LLM_OUTPUT_MESSAGES}.0.{MessageAttributes.MESSAGE_TOOL_CALLS}.0.{ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON}"
    assert json.loads(str(asked[called])) == {"user": "ann", "authorization": "***"}
