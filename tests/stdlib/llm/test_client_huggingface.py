"""HuggingFaceChatModel: the real `huggingface_hub.AsyncInferenceClient` against a loopback server
speaking TGI's / the Hugging Face router's wire format (answers built from the SDK's own output
dataclasses, tests/fixtures/provider_wires/huggingface_wire.py). What every provider shares is
checked by test_provider_clients.py; these are Hugging Face's own shapes and quirks."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, cast

import attrs
import pytest

huggingface_hub = pytest.importorskip("huggingface_hub")

from huggingface_hub import AsyncInferenceClient  # noqa: E402
from huggingface_hub.inference._providers import CONVERSATIONAL_AUTO_ROUTER  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.provider_wires import KEY, closing  # noqa: E402
from tests.fixtures.provider_wires.huggingface_wire import HuggingFaceWire, call_piece, completion, stream_chunk  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ToolCall  # noqa: E402
from tta_dev_primitives.stdlib.llm.model import ToolSpec  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import HuggingFaceChatModel, ModelCallError, ModelTransientError  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._huggingface_chat import from_options  # noqa: E402

pytestmark = pytest.mark.anyio
WIRE = HuggingFaceWire()
HF_TOKEN = "hf_TestTokenAbcdefghijklmnopqrstuvwxyz"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.fixture
async def client(server: ProviderServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(base_url=server.base_url, token=KEY) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: AsyncInferenceClient) -> HuggingFaceChatModel:
    return HuggingFaceChatModel(client, "meta-llama/Llama-3.1-8B-Instruct", max_tokens=200)


@pytest.fixture
def router(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SDK's Hugging Face router (router.huggingface.co, where a client without base_url
    sends chat completions) moved to the loopback server."""
    monkeypatch.setattr(CONVERSATIONAL_AUTO_ROUTER, "base_url", server.base_url)
    return server.base_url


def weather_tool() -> ToolSpec:
    return ToolSpec("weather", "The weather in a city.", json.dumps(SCHEMA))


def structured_request() -> ChatRequest:
    spec = {"name": "City", "schema": SCHEMA}
    return ChatRequest((ChatMessage("user", "Where?"),), response_format=json.dumps(spec))


async def test_request_carries_the_conversation_model_and_cap_and_no_unset_settings(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(WIRE.reply("Paris."))
    await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}],
        "max_tokens": 200,
        "stream": False,
    }


async def test_settings_go_out_when_set_and_a_request_cap_only_lowers_the_models(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(WIRE.reply("ok"))
    request = attrs.evolve(ChatRequest.of("hi"), temperature=0.0, top_p=0.5, seed=7, stop=("END",), max_tokens=50)
    await model.complete(request)
    body = server.received[0].body
    assert (body["temperature"], body["top_p"], body["seed"], body["stop"], body["max_tokens"]) == (0.0, 0.5, 7, ["END"], 50)


async def test_without_a_cap_no_max_tokens_is_sent(server: ProviderServer, client: AsyncInferenceClient) -> None:
    server.add(WIRE.reply("ok"))
    await HuggingFaceChatModel(client, "m").complete(ChatRequest.of("hi"))
    assert "max_tokens" not in server.received[0].body


async def test_tools_calls_and_results_go_out_in_the_openai_shape(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(WIRE.reply("Sunny."))
    conversation = (
        ChatMessage("user", "Weather in Paris?"),
        ChatMessage("assistant", "", (ToolCall("call_1", "weather", '{"city": "Paris"}'),)),
        ChatMessage("tool", "sunny", tool_call_id="call_1"),
    )
    await model.complete(ChatRequest(conversation, tools=(weather_tool(),)))
    body = server.received[0].body
    assert body["tools"] == [{"type": "function", "function": {"name": "weather", "description": "The weather in a city.", "parameters": SCHEMA}}]
    assistant, result = body["messages"][1:]
    # a bare tool call has null content (the SDK drops it on the router's path); arguments go back as JSON text
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}],
    }
    assert result == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


async def test_arguments_the_model_did_not_write_as_an_object_go_back_as_an_empty_object(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(WIRE.reply("ok"))
    conversation = (ChatMessage("user", "x"), ChatMessage("assistant", "", (ToolCall("c", "weather", '{"city": "Par'),)), ChatMessage("tool", "bad", tool_call_id="c"))
    await model.complete(ChatRequest(conversation))
    assert server.received[0].body["messages"][1]["tool_calls"][0]["function"]["arguments"] == "{}"


async def test_tgi_tool_call_arguments_sent_as_an_object_read_as_json_text(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(Answer.json(completion(None, calls=[("0", "weather", {"city": "Paris"})])))
    response = await model.complete(ChatRequest.of("Weather?"))
    assert response.tool_calls == (ToolCall("0", "weather", '{"city": "Paris"}'),)
    assert response.finish_reason == "tool_calls"


async def test_a_tool_call_without_an_id_gets_one(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(Answer.json(completion(None, calls=[("", "weather", '{"city": "Oslo"}')])))
    response = await model.complete(ChatRequest.of("Weather?"))
    assert response.tool_calls == (ToolCall("call_0", "weather", '{"city": "Oslo"}'),)


@pytest.mark.parametrize(
    ("tgi", "ours"), [("eos_token", "stop"), ("stop_sequence", "stop"), ("length", "length"), ("stop", "stop"), ("content_filter", "content_filter")]
)
async def test_finish_reasons_read_in_openai_words(server: ProviderServer, model: HuggingFaceChatModel, tgi: str, ours: str) -> None:
    server.add(Answer.json(completion("text", reason=tgi)))
    assert (await model.complete(ChatRequest.of("hi"))).finish_reason == ours


async def test_a_tool_call_reply_tgi_ends_with_eos_token_finished_for_tool_calls(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    server.add(Answer.json(completion(None, calls=[("c", "weather", "{}")], reason="eos_token")))
    assert (await model.complete(ChatRequest.of("hi"))).finish_reason == "tool_calls"


async def test_structured_output_to_a_tgi_endpoint_goes_out_as_tgi_grammar(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    """With base_url (an Inference Endpoint or TGI server), the SDK rewrites json_schema into
    TGI's grammar."""
    server.add(WIRE.reply('{"city": "Paris"}'))
    await model.complete(structured_request())
    assert server.received[0].body["response_format"] == {"type": "json_object", "value": SCHEMA}


async def test_through_the_router_structured_output_goes_out_as_json_schema_and_the_model_names_its_provider(
    server: ProviderServer, router: str
) -> None:
    server.add(WIRE.reply('{"city": "Paris"}'))
    async with AsyncInferenceClient(token=HF_TOKEN) as sdk_client:
        model = HuggingFaceChatModel(sdk_client, "meta-llama/Llama-3.1-8B-Instruct:together")
        await model.complete(structured_request())
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {HF_TOKEN}"
    assert sent.body["model"] == "meta-llama/Llama-3.1-8B-Instruct:together"
    assert sent.body["response_format"] == {"type": "json_schema", "json_schema": {"name": "City", "schema": SCHEMA, "strict": False}}


async def test_the_router_without_a_hugging_face_token_is_the_sdks_refusal_not_a_provider_failure() -> None:
    async with AsyncInferenceClient(token=KEY) as sdk_client:
        with pytest.raises(ValueError, match="non-Hugging Face API key"):
            await HuggingFaceChatModel(sdk_client, "m").complete(ChatRequest.of("hi"))


async def test_a_stream_asks_for_usage_and_reads_tool_call_pieces(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    events = [
        (None, stream_chunk("Let me check. ")),
        (None, stream_chunk(calls=[call_piece(0, "c1", "weather", '{"ci')])),
        (None, stream_chunk(calls=[call_piece(0, "", None, 'ty": "Oslo"}')])),
        (None, stream_chunk(finish="eos_token")),
        (None, stream_chunk(usage=(9, 4), choice=False)),
        (None, "[DONE]"),
    ]
    server.add(Answer.stream(events))
    seen: list[Any] = []
    model.on_response = seen.append
    assert [d async for d in model.stream(ChatRequest.of("Weather?"))] == ["Let me check. "]
    body = server.received[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    (response,) = seen
    assert response.tool_calls == (ToolCall("c1", "weather", '{"city": "Oslo"}'),)
    assert (response.input_tokens, response.output_tokens, response.finish_reason) == (9, 4, "tool_calls")


def _busy_connections(client: AsyncInferenceClient) -> int:
    pool = client._async_client._transport._pool  # type: ignore[union-attr]
    return sum(1 for connection in pool.connections if not connection.is_idle())


async def test_a_stream_releases_its_connection_when_done_or_left_early(server: ProviderServer, model: HuggingFaceChatModel, client: AsyncInferenceClient) -> None:
    """The SDK stops reading at `[DONE]` without closing the response; the client closes it."""
    server.add(WIRE.stream(["a", "b", "c"]), WIRE.stream(["a", "b", "c"]))
    assert [d async for d in model.stream(ChatRequest.of("hi"))] == ["a", "b", "c"]
    assert _busy_connections(client) == 0
    async with contextlib.aclosing(cast(AsyncGenerator[str, None], model.stream(ChatRequest.of("hi")))) as deltas:
        async for _ in deltas:
            break
    assert _busy_connections(client) == 0


@pytest.mark.parametrize(("error_type", "expected"), [("overloaded", ModelTransientError), ("generation", ModelTransientError), ("validation", ModelCallError)])
async def test_an_error_tgi_reports_inside_a_stream(server: ProviderServer, model: HuggingFaceChatModel, error_type: str, expected: type[Exception]) -> None:
    server.add(Answer.stream([(None, stream_chunk("par")), (None, {"error": f"failed {HF_TOKEN}", "error_type": error_type})]))
    received: list[str] = []
    with pytest.raises(expected) as caught:
        async for delta in model.stream(ChatRequest.of("hi")):
            received.append(delta)
    assert received == ["par"]
    assert "failed" in str(caught.value) and HF_TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


async def test_a_router_error_in_openai_shape_gives_its_message_and_kind(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    body = {"error": {"message": "You exceeded your monthly credits", "type": "insufficient_quota", "code": "insufficient_quota"}}
    server.add(Answer.json(body, status=429))
    with pytest.raises(ModelCallError) as caught:  # a 429 no retry fixes
        await model.complete(ChatRequest.of("hi"))
    assert "HTTP 429: You exceeded your monthly credits" in str(caught.value)
    assert not isinstance(caught.value, ModelTransientError)


async def test_a_loading_model_is_one_request_and_a_transient_failure(server: ProviderServer, model: HuggingFaceChatModel) -> None:
    """The SDK neither retries a 503 nor asks the server to wait for the model to load."""
    server.add(Answer.json({"error": "Model is currently loading", "estimated_time": 20.0}, status=503))
    with pytest.raises(ModelTransientError, match="Model is currently loading"):
        await model.complete(ChatRequest.of("hi"))
    assert len(server.received) == 1
    assert not any(name.startswith("x-wait") or name == "x-use-cache" for name in server.received[0].headers)


async def test_a_token_the_sdk_found_in_hf_token_is_sent_and_masked_in_errors(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    model = from_options("m", base_url=server.base_url, max_tokens=64)
    server.add(Answer.json({"error": f"token {HF_TOKEN} is not allowed"}, status=403))
    async with closing(model.client):
        with pytest.raises(ModelCallError) as caught:
            await model.complete(ChatRequest.of("hi"))
    sent = server.received[0]
    assert sent.headers["authorization"] == f"Bearer {HF_TOKEN}" and sent.body["max_tokens"] == 64
    assert HF_TOKEN not in str(caught.value) and HF_TOKEN not in repr(model)


def test_from_options_goes_to_the_router_without_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    model = from_options("meta-llama/Llama-3.1-8B-Instruct", base_url=None, max_tokens=None)
    assert model.client.model is None and model.client.token is None  # the SDK reads HF_TOKEN when it sends
    assert model.model == "meta-llama/Llama-3.1-8B-Instruct" and model.max_tokens is None


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


async def test_a_timeout_is_a_transient_failure(silent_url: str) -> None:
    async with AsyncInferenceClient(base_url=silent_url, token=KEY, timeout=0.2) as sdk_client:
        with pytest.raises(ModelTransientError, match="timed out") as caught:
            await HuggingFaceChatModel(sdk_client, "m").complete(ChatRequest.of("hi"))
    assert KEY not in str(caught.value)


async def test_offline_mode_is_a_permanent_failure_and_sends_nothing(server: ProviderServer, model: HuggingFaceChatModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelCallError, match="offline mode") as caught:
        await model.complete(ChatRequest.of("hi"))
    assert not isinstance(caught.value, ModelTransientError)
    assert server.received == []


@pytest.mark.parametrize("body", ["[]", '[{"choices": []}]', "42", '"text"'])
async def test_json_no_completion_is_made_of_is_a_malformed_response(server: ProviderServer, model: HuggingFaceChatModel, body: str) -> None:
    server.add(Answer(200, body, (("content-type", "application/json"),)))
    with pytest.raises(ModelTransientError, match="malformed response") as caught:
        await model.complete(ChatRequest.of("hi"))
    assert caught.value.__cause__ is None and caught.value.__context__ is None
