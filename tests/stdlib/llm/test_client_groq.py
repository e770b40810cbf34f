"""GroqChatModel: what goes on Groq's wire (the real `groq` SDK against the loopback server,
answers built from the SDK's own types). The behaviour every client shares is checked in
test_provider_clients.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

groq = pytest.importorskip("groq")

from groq.types.chat.chat_completion_chunk import ChoiceDelta, XGroq  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.provider_wires import KEY  # noqa: E402
from tests.fixtures.provider_wires.groq_wire import MODEL, chunk, completion, groq_error  # noqa: E402
from tta_dev_primitives import ChatRequest, ChatResponse, ConfigError, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import GroqChatModel, ModelCallError, ModelTransientError  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._chat_completions import SCHEMA_INSTRUCTION  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(server: ProviderServer) -> AsyncIterator[Any]:
    async with groq.AsyncGroq(api_key=KEY, base_url=server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> GroqChatModel:
    return GroqChatModel(client, MODEL, max_tokens=200)


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_a_call_goes_to_groqs_path_with_the_key_and_the_cap_as_max_completion_tokens(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(Answer.json(completion("Paris.")))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert response == ChatResponse("Paris.", MODEL, 12, 3, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == "/openai/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == {
        "model": MODEL,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}],
        "max_completion_tokens": 200,  # Groq's `max_tokens` is deprecated
    }


async def test_settings_go_out_only_when_set_seed_included(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(Answer.json(completion("one")), Answer.json(completion("two")))
    await model.complete(ChatRequest.of("hi", temperature=0.2, top_p=0.9, seed=7, stop=("END",)))
    await model.complete(ChatRequest.of("hi"))
    first, second = (r.body for r in server.received)
    assert (first["temperature"], first["top_p"], first["seed"], first["stop"]) == (0.2, 0.9, 7, ["END"])
    assert not {"temperature", "top_p", "seed", "stop", "reasoning_format", "response_format", "tools"} & set(second)


async def test_tools_and_tool_results_go_out_in_the_chat_completions_shape(server: ProviderServer, model: GroqChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    server.add(Answer.json(completion(None, calls=(("call_1", "weather", '{"input": "Oslo"}'),))), Answer.json(completion("Sunny.")))
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Weather in Oslo?") == "Sunny."
    first, second = (r.body for r in server.received)
    assert first["tools"] == [{"type": "function", "function": tool(weather).definition()}]
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"input": "Oslo"}'}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny in Oslo"},
    ]


@pytest.mark.parametrize(
    "name",
    ["openai/gpt-oss-120b", "openai/gpt-oss-20b", "moonshotai/kimi-k2-instruct", "meta-llama/llama-4-scout-17b-16e-instruct", "meta-llama/llama-4-maverick-17b-128e-instruct"],
)
async def test_models_with_structured_outputs_get_a_json_schema_response_format(server: ProviderServer, client: Any, name: str) -> None:
    server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')))
    assert await compile(structured(GroqChatModel(client, name), Invoice)).run(ChatRequest.of("Extract: A-1, 9.50", system="Extract.")) == Invoice("A-1", 9.5)
    body = server.received[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Invoice" and body["response_format"]["json_schema"]["strict"] is False
    assert body["messages"][0] == {"role": "system", "content": "Extract."}  # the schema is not repeated in the prompt


@pytest.mark.parametrize("name", ["llama-3.3-70b-versatile", "llama-3.1-8b-instant", "qwen/qwen3-32b"])
async def test_other_models_get_json_mode_with_the_schema_in_the_system_message(server: ProviderServer, client: Any, name: str) -> None:
    server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')), Answer.json(completion('{"number": "A-2", "total": 1.0}')))
    model = GroqChatModel(client, name)
    assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: A-1, 9.50", system="Extract.")) == Invoice("A-1", 9.5)
    assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: A-2, 1.00")) == Invoice("A-2", 1.0)
    with_system, without = (r.body for r in server.received)
    assert with_system["response_format"] == {"type": "json_object"} == without["response_format"]
    first = with_system["messages"][0]
    assert first["role"] == "system" and first["content"].startswith(f"Extract.\n\n{SCHEMA_INSTRUCTION}\n")
    schema = json.loads(first["content"].split("\n", 3)[3])
    assert schema["required"] == ["number", "total"] and schema["properties"]["total"]["type"] == "number"
    assert without["messages"][0]["role"] == "system" and without["messages"][0]["content"].startswith(SCHEMA_INSTRUCTION)  # added
    assert without["messages"][1] == {"role": "user", "content": "Extract: A-2, 1.00"}


async def test_structured_output_mode_can_be_chosen_for_a_model_the_list_does_not_know(server: ProviderServer, client: Any) -> None:
    server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')))
    model = GroqChatModel(client, "some-new-model", structured_output="json_schema")
    await compile(structured(model, Invoice)).run(ChatRequest.of("Extract"))
    assert server.received[0].body["response_format"]["type"] == "json_schema"
    with pytest.raises(ConfigError, match="structured_output"):
        GroqChatModel(client, MODEL, structured_output="xml")  # type: ignore[arg-type]


async def test_reasoning_format_goes_out_when_given(server: ProviderServer, client: Any) -> None:
    server.add(Answer.json(completion("ok")))
    await GroqChatModel(client, "qwen/qwen3-32b", reasoning_format="hidden").complete(ChatRequest.of("hi"))
    assert server.received[0].body["reasoning_format"] == "hidden"
    with pytest.raises(ConfigError, match="reasoning_format"):
        GroqChatModel(client, MODEL, reasoning_format="shown")  # type: ignore[arg-type]


async def test_a_stream_reads_usage_from_x_groq_and_sends_no_stream_options(server: ProviderServer, client: Any) -> None:
    seen: list[ChatResponse] = []
    model = GroqChatModel(client, MODEL, on_response=seen.append)
    server.add(
        Answer.stream(
            [
                (None, chunk(ChoiceDelta(role="assistant", content="Hel"), x_groq=XGroq(id="req_1"))),
                (None, chunk(ChoiceDelta(content="lo"))),
                (None, chunk(ChoiceDelta(), "stop", x_groq=XGroq(id="req_1", usage=completion().usage))),
                (None, "[DONE]"),
            ]
        )
    )
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == ["Hel", "lo"]
    assert seen == [ChatResponse("Hello", MODEL, 12, 3, finish_reason="stop")]
    body = server.received[0].body
    assert body["stream"] is True and "stream_options" not in body  # Groq's SDK has none: usage comes in x_groq


async def test_a_stream_groq_stops_with_an_x_groq_error_is_transient_after_the_text_received(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(
        Answer.stream(
            [
                (None, chunk(ChoiceDelta(content="par"))),
                (None, chunk(ChoiceDelta(), x_groq=XGroq(id="req_1", error="over capacity"))),
                (None, "[DONE]"),
            ]
        )
    )
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="reported an error: over capacity") as info:
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["par"] and info.value.provider == "groq"


async def test_an_error_event_inside_a_stream_is_transient(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(Answer.stream([(None, chunk(ChoiceDelta(content="par"))), (None, {"error": {"message": "internal error", "type": "internal_server_error"}})]))
    with pytest.raises(ModelTransientError, match="reported an error: internal error"):
        [piece async for piece in model.stream(ChatRequest.of("hi"))]


async def test_flex_tier_over_capacity_is_transient_and_a_request_over_the_limits_is_not(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(
        groq_error(498, "Flex tier capacity exceeded. This is a temporary error.", kind="internal_server_error"),
        groq_error(413, "Request too large for model: limit 6000, requested 9000", kind="tokens", code="rate_limit_exceeded"),
    )
    with pytest.raises(ModelTransientError) as transient:
        await model.complete(ChatRequest.of("hi"))
    with pytest.raises(ModelCallError) as permanent:
        await model.complete(ChatRequest.of("hi"))
    assert transient.value.status == 498 and permanent.value.status == 413
    assert not isinstance(permanent.value, ModelTransientError) and "Request too large" in str(permanent.value)
    assert len(server.received) == 2  # no retry by the SDK


async def test_a_rate_limit_carries_groqs_retry_after(server: ProviderServer, model: GroqChatModel) -> None:
    server.add(groq_error(429, "Rate limit reached for model", "2", kind="tokens", code="rate_limit_exceeded"))
    with pytest.raises(ModelTransientError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert (info.value.status, info.value.retry_after, info.value.provider, info.value.model) == (429, 2.0, "groq", MODEL)


def test_from_options_reads_groq_api_key_and_names_groq(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.stdlib.llm.providers._groq_chat import from_options

    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = from_options("llama-3.1-8b-instant", base_url=None, max_tokens=100)
    assert model.client.api_key == KEY and str(model.client.base_url).rstrip("/") == "https://api.groq.com"
    assert (model.provider, model.max_tokens, model.structured_output) == ("groq", 100, "json_object")
    assert model.client.max_retries == 0 and KEY not in repr(model)


def test_groq_models_are_priced_from_the_dated_table() -> None:
    from tta_dev_primitives.stdlib.llm.prices import DEFAULT_PRICES, PRICE_SOURCES, price_for

    price = price_for("llama-3.3-70b-versatile", DEFAULT_PRICES)
    assert price is not None and (price.input_per_million, price.output_per_million) == (0.59, 0.79)
    assert price_for("openai/gpt-oss-120b") is not None and price_for("meta-llama/llama-4-scout-17b-16e-instruct") is not None
    assert any("console.groq.com" in source for source in PRICE_SOURCES)
