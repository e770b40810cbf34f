"""GeminiChatModel: the real `google-genai` SDK against a loopback server speaking Gemini's wire
format (replies and stream chunks built from `google.genai.types`, see gemini_wire.py). What
every provider shares is checked by test_provider_clients.py; these are Gemini's own shapes."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

genai = pytest.importorskip("google.genai")

from google.genai import types  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.shared_server import anyio_backend, server, shared_server  # noqa: E402, F401 - fixtures
from tests.fixtures.provider_wires import KEY  # noqa: E402
from tests.fixtures.provider_wires.gemini_wire import GeminiWire, call_part, chunk, dump, response  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolSpec, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.errors import ConfigError  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import GeminiChatModel, ModelCallError, ModelTransientError  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._errors import retry_delay_from  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._gemini_chat import from_options, gemini_client  # noqa: E402

pytestmark = pytest.mark.anyio
WIRE = GeminiWire()
PATH = "/v1beta/models/test-model:generateContent"


@pytest.fixture(scope="module")
async def client(shared_server: ProviderServer, anyio_backend: str) -> AsyncIterator[Any]:
    """One SDK client for the module's tests on each backend (tests/fixtures/shared_server.py)."""
    async with WIRE.client(shared_server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
async def fresh_client(server: ProviderServer) -> AsyncIterator[Any]:
    """An SDK client of the test's own, for what its connection pool holds."""
    async with WIRE.client(server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> GeminiChatModel:
    return GeminiChatModel(client, "test-model", max_tokens=300)


def json_answer(value: types.GenerateContentResponse) -> Answer:
    return Answer(200, dump(value), (("content-type", "application/json"),))


def text(value: str) -> types.Part:
    return types.Part(text=value)


async def test_a_call_goes_to_generate_content_with_the_key_in_its_header_and_the_system_apart(server: ProviderServer, model: GeminiChatModel) -> None:
    server.add(json_answer(response(text("Paris."), usage=(20, 4))))
    reply = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert reply == ChatResponse("Paris.", "test-model", 20, 4, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == PATH  # no key in the URL: it goes in a header
    assert sent.headers["x-goog-api-key"] == KEY
    assert sent.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert sent.body["contents"] == [{"role": "user", "parts": [{"text": "Capital of France?"}]}]
    assert sent.body["generationConfig"] == {"maxOutputTokens": 300}


async def test_tool_calls_get_ids_by_their_place_and_results_go_back_as_function_responses(server: ProviderServer, model: GeminiChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        if city == "Atlantis":
            raise LookupError("no such city")
        return f"sunny in {city}"

    server.add(
        json_answer(response(text("Checking."), call_part("weather", '{"input": "Oslo"}'), call_part("weather", '{"input": "Atlantis"}'))),
        json_answer(response(text("Oslo is sunny."))),
    )
    replies: list[ChatResponse] = []
    model.on_response = replies.append
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Oslo and Atlantis?") == "Oslo is sunny."
    assert [(c.id, c.name) for c in replies[0].tool_calls] == [("call_0", "weather"), ("call_1", "weather")]
    assert replies[0].finish_reason == "tool_calls"
    first, second = (r.body for r in server.received)
    declaration = first["tools"][0]["functionDeclarations"][0]
    # the SDK writes declarations with their proto field names (the API reads either case)
    assert declaration == {"name": "weather", "description": "Weather for a city.", "parameters_json_schema": tool(weather).definition()["parameters"]}
    assert "toolConfig" not in first
    assert second["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Checking."},
            {"functionCall": {"name": "weather", "args": {"input": "Oslo"}}},  # no id: Gemini gave none
            {"functionCall": {"name": "weather", "args": {"input": "Atlantis"}}},
        ],
    }
    oslo, atlantis = second["contents"][2]["parts"]
    assert second["contents"][2]["role"] == "user"
    assert oslo == {"functionResponse": {"name": "weather", "response": {"output": "sunny in Oslo"}}}
    assert atlantis["functionResponse"]["name"] == "weather" and "no such city" in atlantis["functionResponse"]["response"]["error"]


async def test_results_whose_ids_name_no_call_answer_the_calls_in_order(server: ProviderServer, model: GeminiChatModel) -> None:
    server.add(json_answer(response(text("ok"))))
    calls = (ToolCall("call_0", "add", '{"a": 1}'), ToolCall("call_1", "mul", '{"a": 2}'))
    conversation = (
        ChatMessage("user", "go"),
        ChatMessage("assistant", "", calls),
        ChatMessage("tool", "2", tool_call_id="elsewhere-1"),
        ChatMessage("tool", "4", tool_call_id="elsewhere-2"),
    )
    await model.complete(ChatRequest(conversation))
    parts = server.received[0].body["contents"][2]["parts"]
    assert [(p["functionResponse"]["name"], p["functionResponse"]["response"]) for p in parts] == [("add", {"output": "2"}), ("mul", {"output": "4"})]


async def test_a_result_for_no_call_is_refused_before_sending(server: ProviderServer, model: GeminiChatModel) -> None:
    with pytest.raises(ConfigError, match="tool results that answer a tool call"):
        await model.complete(ChatRequest((ChatMessage("user", "go"), ChatMessage("tool", "2", tool_call_id="x"))))
    assert server.received == []


async def test_call_ids_gemini_gives_are_kept_and_sent_back_with_the_call_and_its_result(server: ProviderServer, model: GeminiChatModel) -> None:
    async def ping(host: str) -> str:
        """Ping a host."""
        return "pong"

    part = types.Part(function_call=types.FunctionCall(name="ping", args={"input": "a"}, id="fc-7"))
    server.add(json_answer(response(part)), json_answer(response(text("done"))))
    assert await compile(agent(model, [tool(ping)], max_turns=2)).run("ping") == "done"
    sent = server.received[1].body["contents"]
    assert sent[1]["parts"] == [{"functionCall": {"id": "fc-7", "name": "ping", "args": {"input": "a"}}}]
    assert sent[2]["parts"] == [{"functionResponse": {"id": "fc-7", "name": "ping", "response": {"output": "pong"}}}]


async def test_a_thought_signature_travels_in_the_call_id_and_goes_back_with_the_call(server: ProviderServer, model: GeminiChatModel) -> None:
    async def ping(host: str) -> str:
        """Ping a host."""
        return "pong"

    signature = b"\x00opaque~signature/+\xff"
    server.add(json_answer(response(call_part("ping", '{"input": "a"}', signature=signature))), json_answer(response(text("done"))))
    replies: list[ChatResponse] = []
    model.on_response = replies.append
    assert await compile(agent(model, [tool(ping)], max_turns=2)).run("ping") == "done"
    assert replies[0].tool_calls[0].id.startswith("call_0~ts~")
    [sent] = server.received[1].body["contents"][1]["parts"]
    assert sent["functionCall"] == {"name": "ping", "args": {"input": "a"}}
    assert base64.urlsafe_b64decode(sent["thoughtSignature"]) == signature  # the SDK writes bytes in URL-safe base64
    assert "id" not in server.received[1].body["contents"][2]["parts"][0]["functionResponse"]  # our id is not Gemini's


async def test_a_streamed_call_keeps_its_signature_too(server: ProviderServer, model: GeminiChatModel) -> None:
    replies: list[ChatResponse] = []
    model.on_response = replies.append
    part = call_part("ping", '{"n": 1}', signature=b"sig")
    server.add(Answer.stream([chunk(response(text("Let me see."), finish=None)), chunk(response(part))]))
    assert [t async for t in model.stream(ChatRequest.of("ping"))] == ["Let me see."]
    [call] = replies[0].tool_calls
    assert (call.name, call.arguments, replies[0].finish_reason) == ("ping", '{"n": 1}', "tool_calls")
    assert call.id == "call_0~ts~" + base64.urlsafe_b64encode(b"sig").decode()
    assert server.received[0].path == "/v1beta/models/test-model:streamGenerateContent?alt=sse"


@attrs.frozen
class Item:
    name: str
    qty: int


@attrs.frozen
class Order:
    items: list[Item]
    note: str | None = None


async def test_structured_output_without_tools_is_json_mode_with_the_json_schema(server: ProviderServer, model: GeminiChatModel) -> None:
    server.add(json_answer(response(text('{"items": [{"name": "tea", "qty": 2}]}'))))
    assert await compile(structured(model, Order)).run(ChatRequest.of("2 teas")) == Order([Item("tea", 2)])
    config = server.received[0].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert "$defs" in schema and schema["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}  # msgspec's schema as it is
    assert "tools" not in server.received[0].body and "responseSchema" not in config


async def test_structured_output_with_tools_is_answered_through_a_function_the_model_must_call(server: ProviderServer, model: GeminiChatModel) -> None:
    async def stock(name: str) -> str:
        """Units in stock."""
        return "7"

    answer = call_part("Order", '{"items": [{"name": "tea", "qty": 2}]}')
    server.add(json_answer(response(call_part("stock", '{"input": "tea"}'))), json_answer(response(answer)))
    assert await compile(agent(model, [tool(stock)], max_turns=3, output=Order)).run("2 teas if in stock") == Order([Item("tea", 2)])
    first = server.received[0].body
    # Gemini 2.x refuses JSON mode together with function calling: the schema is a function instead
    assert [d["name"] for d in first["tools"][0]["functionDeclarations"]] == ["stock", "Order"]
    assert first["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert "responseMimeType" not in first.get("generationConfig", {})


async def test_an_answer_function_named_like_a_tool_is_refused(server: ProviderServer, model: GeminiChatModel) -> None:
    spec = ToolSpec("Order", "Clash.", '{"type": "object"}')
    request = ChatRequest.of("hi").__class__((ChatMessage("user", "hi"),), tools=(spec,), response_format='{"name": "Order", "schema": {}}')
    with pytest.raises(ConfigError, match="a name other than the tools'"):
        await model.complete(request)
    assert server.received == []


async def test_settings_reach_the_wire_only_when_set(server: ProviderServer, client: Any) -> None:
    model = GeminiChatModel(client, "test-model")
    server.add(json_answer(response(text("one"))), json_answer(response(text("two"))))
    await model.complete(ChatRequest.of("hi", temperature=0.2, top_p=0.9, seed=7, max_tokens=64, stop=["END", "STOP"]))
    config = server.received[0].body["generationConfig"]
    assert config == {"temperature": 0.2, "topP": 0.9, "seed": 7, "maxOutputTokens": 64, "stopSequences": ["END", "STOP"]}
    await model.complete(ChatRequest.of("hi"))
    assert not server.received[1].body.get("generationConfig")  # Gemini's defaults apply


async def test_thoughts_count_as_output_and_thought_parts_are_not_the_reply(server: ProviderServer, model: GeminiChatModel) -> None:
    thought = types.Part(text="Let me think about France.", thought=True)
    reply = response(thought, text("Paris."), usage=None).model_copy(
        update={"usage_metadata": types.GenerateContentResponseUsageMetadata(prompt_token_count=10, candidates_token_count=2, thoughts_token_count=30)}
    )
    server.add(json_answer(reply))
    assert await model.complete(ChatRequest.of("Capital?")) == ChatResponse("Paris.", "test-model", 10, 32, finish_reason="stop")


@pytest.mark.parametrize(
    ("reason", "ours"),
    [
        (types.FinishReason.MAX_TOKENS, "length"),
        (types.FinishReason.RECITATION, "content_filter"),
        (types.FinishReason.BLOCKLIST, "content_filter"),
        (types.FinishReason.PROHIBITED_CONTENT, "content_filter"),
        (types.FinishReason.SPII, "content_filter"),
        (types.FinishReason.MALFORMED_FUNCTION_CALL, "malformed_function_call"),
    ],
)
async def test_finish_reasons_read_in_openais_words(server: ProviderServer, model: GeminiChatModel, reason: types.FinishReason, ours: str) -> None:
    server.add(json_answer(response(text("partial"), finish=reason)))
    assert (await model.complete(ChatRequest.of("hi"))).finish_reason == ours


async def test_a_blocked_prompt_is_an_empty_reply_filtered_for_content(server: ProviderServer, model: GeminiChatModel) -> None:
    blocked = types.GenerateContentResponse(
        prompt_feedback=types.GenerateContentResponsePromptFeedback(block_reason=types.BlockedReason.SAFETY),
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=9),
        model_version="test-model",
    )
    server.add(json_answer(blocked), Answer.stream([chunk(blocked)]))
    assert await model.complete(ChatRequest.of("something bad")) == ChatResponse("", "test-model", 9, 0, finish_reason="content_filter")
    replies: list[ChatResponse] = []
    model.on_response = replies.append
    assert [t async for t in model.stream(ChatRequest.of("something bad"))] == []
    assert replies[0].finish_reason == "content_filter"


async def test_a_rate_limit_without_retry_after_waits_the_retry_delay_in_its_details(server: ProviderServer, model: GeminiChatModel) -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Quota exceeded for metric: generate_content_free_tier_requests",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generate_content_free_tier_requests"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7.5s"},
            ],
        }
    }
    server.add(Answer.json(body, status=429))
    with pytest.raises(ModelTransientError, match="HTTP 429: RESOURCE_EXHAUSTED: Quota exceeded") as info:
        await model.complete(ChatRequest.of("hi"))
    assert info.value.retry_after == 7.5 and len(server.received) == 1


def test_retry_delay_is_read_only_from_retry_info() -> None:
    assert retry_delay_from({"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"}]}}) == 0.25
    assert retry_delay_from({"error": {"details": [{"@type": "type.googleapis.com/google.rpc.Help", "retryDelay": "3s"}]}}) is None
    assert retry_delay_from({"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"}]}}) is None
    assert retry_delay_from({"error": "no details"}) is None and retry_delay_from("text") is None


async def test_the_sdk_makes_one_attempt_even_when_its_client_asks_for_retries(server: ProviderServer) -> None:
    import httpx2

    options = types.HttpOptions(
        base_url=server.base_url,
        api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=5, initial_delay=0.0, max_delay=0.0, jitter=0.0),
        async_client_args={"transport": httpx2.AsyncHTTPTransport()},
    )
    sdk_client = genai.Client(api_key=KEY, http_options=options)
    try:
        model = GeminiChatModel(sdk_client, "test-model")
        server.add(*[WIRE.error(503, "overloaded") for _ in range(5)])
        with pytest.raises(ModelTransientError, match="HTTP 503"):
            await model.complete(ChatRequest.of("hi"))
        assert len(server.received) == 1
    finally:
        await sdk_client.aio.aclose()


async def test_an_error_sent_inside_a_stream_is_read_by_its_code(server: ProviderServer, model: GeminiChatModel) -> None:
    error = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    server.add(Answer.stream([chunk(response(text("Hel"), finish=None)), (None, error)]))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="HTTP 503: UNAVAILABLE: The model is overloaded"):
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["Hel"]


async def test_a_client_on_the_sdks_default_transport_runs_on_asyncio_and_is_refused_elsewhere(server: ProviderServer, anyio_backend: str) -> None:
    sdk_client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=server.base_url, api_version="v1beta"))
    try:
        model = GeminiChatModel(sdk_client, "test-model")
        if anyio_backend == "asyncio":
            server.add(json_answer(response(text("hi"))))
            assert (await model.complete(ChatRequest.of("hi"))).text == "hi"
        else:
            with pytest.raises(ConfigError, match="gemini_client()"):
                await model.complete(ChatRequest.of("hi"))
            with pytest.raises(ConfigError, match="gemini_client()"):
                await anext(aiter(model.stream(ChatRequest.of("hi"))))
            assert server.received == []
    finally:
        await sdk_client.aio.aclose()


async def test_from_options_reads_the_key_as_the_sdk_does(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "gm-env-key-0123456789")
    model = from_options("test-model", base_url=server.base_url, max_tokens=50)
    server.add(json_answer(response(text("hi"))))
    try:
        assert (await model.complete(ChatRequest.of("hi"))).text == "hi"
    finally:
        await model.client.aio.aclose()
    sent = server.received[0]
    assert sent.headers["x-goog-api-key"] == "gm-env-key-0123456789" and sent.body["generationConfig"] == {"maxOutputTokens": 50}
    monkeypatch.setenv("GOOGLE_API_KEY", "gg-env-key-0123456789")  # the SDK prefers it
    assert from_options("test-model", base_url=None, max_tokens=None)._secrets == ("gg-env-key-0123456789",)


def test_gemini_client_asks_for_v1beta_and_one_attempt() -> None:
    sdk_client = gemini_client("k-0123456789", base_url="http://127.0.0.1:9")
    options = sdk_client._api_client._http_options
    assert options.api_version == "v1beta"
    assert options.retry_options is not None and options.retry_options.attempts == 1
    assert (options.async_client_args or {}).get("transport") is not None  # runs on any event loop


def test_chat_model_picks_gemini_for_a_gemini_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives import FakeChatModel, chat_model

    monkeypatch.setenv("GEMINI_API_KEY", "gm-env-key-0123456789")
    picked = chat_model(FakeChatModel(), ["--model", "gemini-2.5-flash"])
    assert isinstance(picked, GeminiChatModel) and picked.model == "gemini-2.5-flash"
    assert "gm-env-key" not in repr(picked)


async def test_a_reply_without_candidates_or_block_is_malformed(server: ProviderServer, model: GeminiChatModel) -> None:
    server.add(json_answer(types.GenerateContentResponse(model_version="test-model")))
    with pytest.raises(ModelTransientError, match="malformed response: ValueError: the reply has no candidates"):
        await model.complete(ChatRequest.of("hi"))


async def test_a_refusal_names_googles_status_and_is_permanent(server: ProviderServer, model: GeminiChatModel) -> None:
    server.add(WIRE.error(400, "Function calling with a response mime type: 'application/json' is unsupported"))
    with pytest.raises(ModelCallError, match="HTTP 400: INVALID_ARGUMENT: Function calling") as info:
        await model.complete(ChatRequest.of("hi"))
    assert not isinstance(info.value, ModelTransientError) and info.value.__cause__ is None and info.value.__context__ is None


def test_current_gemini_models_are_priced_and_their_calls_bounded() -> None:
    from tta_dev_primitives.stdlib.llm.prices import DEFAULT_PRICES, PRICE_SOURCES, call_cost_bound, price_for

    assert price_for("gemini-2.5-flash") == DEFAULT_PRICES["gemini-2.5-flash"]
    assert (DEFAULT_PRICES["gemini-2.5-pro"].input_per_million, DEFAULT_PRICES["gemini-2.5-pro"].output_per_million) == (1.25, 10.00)
    assert any("ai.google.dev/gemini-api/docs/pricing" in source for source in PRICE_SOURCES)
    model = from_options_offline("gemini-2.5-flash", max_tokens=1000)
    assert call_cost_bound(model) == pytest.approx((1_048_576 * 0.30 + 1000 * 2.50) / 1_000_000)


def from_options_offline(name: str, *, max_tokens: int) -> GeminiChatModel:
    return GeminiChatModel(gemini_client("k-0123456789", base_url="http://127.0.0.1:9"), name, max_tokens=max_tokens)


async def test_a_streamed_answer_through_the_answer_function_is_the_reply(server: ProviderServer, model: GeminiChatModel) -> None:
    replies: list[ChatResponse] = []
    model.on_response = replies.append
    spec = ToolSpec("stock", "Units in stock.", '{"type": "object", "properties": {"input": {"type": "string"}}}')
    request = ChatRequest((ChatMessage("user", "2 teas"),), tools=(spec,), response_format='{"name": "Order", "schema": {"type": "object"}}')
    answer = call_part("Order", '{"items": [{"name": "tea", "qty": 2}]}')
    server.add(Answer.stream([chunk(response(text("Noting it."), finish=None)), chunk(response(answer))]))
    assert [t async for t in model.stream(request)] == ["Noting it."]
    [reply] = replies
    assert reply.text == '{"items": [{"name": "tea", "qty": 2}]}' and reply.tool_calls == () and reply.finish_reason == "stop"


async def test_gemini_client_follows_the_sdks_choice_of_httpx(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("httpx")
    monkeypatch.setenv("GOOGLE_GENAI_HTTP_CLIENT", "httpx")
    sdk_client = gemini_client(KEY, base_url=server.base_url)
    try:
        transport = (sdk_client._api_client._http_options.async_client_args or {})["transport"]
        assert type(transport).__module__.split(".")[0] == "httpx"
        server.add(json_answer(response(text("over httpx"))))
        assert (await GeminiChatModel(sdk_client, "test-model").complete(ChatRequest.of("hi"))).text == "over httpx"
    finally:
        await sdk_client.aio.aclose()


def _busy_connections(client: Any) -> int:
    pool = client._api_client._async_httpx_client._transport._pool
    return sum(1 for connection in pool.connections if not connection.is_idle() and not connection.is_closed())


async def test_a_stream_left_early_releases_its_connection_at_once(server: ProviderServer, fresh_client: Any) -> None:
    """The SDK's stream is generators over generators, none closing the one below: leaving the
    stream early must still close the HTTP response, not leave it to the garbage collector."""
    import gc

    client, model = fresh_client, GeminiChatModel(fresh_client, "test-model", max_tokens=300)

    server.add(WIRE.stream(["a", "b", "c"] * 50))
    gc.disable()  # what reference cycles keep alive must not be what frees the connection
    try:
        deltas = model.stream(ChatRequest.of("hi"))
        async for _ in deltas:
            break
        await deltas.aclose()  # type: ignore[attr-defined]
        assert _busy_connections(client) == 0
    finally:
        gc.enable()


async def test_a_system_only_conversation_is_our_mistake_not_a_transient_failure(server: ProviderServer, model: GeminiChatModel) -> None:
    """The SDK refuses empty `contents` with a ValueError before sending: not a malformed reply to retry."""
    with pytest.raises(ConfigError, match="system-only"):
        await model.complete(ChatRequest((ChatMessage("system", "Be brief."),)))
    with pytest.raises(ConfigError, match="system-only"):
        async for _ in model.stream(ChatRequest((ChatMessage("system", "Be brief."),))):
            pass
    assert server.received == []
