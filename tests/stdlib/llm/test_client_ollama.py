"""OllamaChatModel: the real `ollama` SDK against a loopback server speaking Ollama's native API
(replies built from the SDK's own types, see tests/fixtures/provider_wires/ollama_wire.py).
What every provider shares is in test_provider_clients.py; these are Ollama's own shapes."""

from __future__ import annotations

import json
import traceback
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

ollama = pytest.importorskip("ollama")

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.shared_server import anyio_backend, server, shared_server  # noqa: E402, F401 - fixtures
from tests.fixtures.provider_wires import KEY  # noqa: E402
from tests.fixtures.provider_wires.ollama_wire import OllamaWire, chat_response, ndjson  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, ToolCall, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import ModelCallError, ModelTransientError, OllamaChatModel  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._ollama_chat import call_id  # noqa: E402

pytestmark = pytest.mark.anyio
WIRE = OllamaWire()


@pytest.fixture(scope="module")
async def client(shared_server: ProviderServer, anyio_backend: str) -> AsyncIterator[Any]:
    """A local server's client: no key, as `ollama serve` takes none. One for the module's tests
    on each backend (tests/fixtures/shared_server.py)."""
    async with ollama.AsyncClient(host=shared_server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> OllamaChatModel:
    return OllamaChatModel(client, "llama3.2")


async def test_complete_posts_the_conversation_to_api_chat_with_no_options_unless_set(server: ProviderServer, model: OllamaChatModel) -> None:
    server.add(Answer.json(chat_response("Paris.", model="llama3.2", usage=(26, 3))))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert response == ChatResponse("Paris.", "llama3.2", 26, 3, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == "/api/chat"
    assert sent.body["model"] == "llama3.2" and sent.body["stream"] is False
    assert sent.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    assert not {"options", "format", "keep_alive"} & set(sent.body)  # the model's own defaults apply
    assert "authorization" not in sent.headers  # a local server takes no key


async def test_settings_go_in_options_only_when_set_and_the_reply_cap_is_num_predict(server: ProviderServer, client: Any) -> None:
    model = OllamaChatModel(client, "llama3.2", max_tokens=200, options={"num_ctx": 8192, "temperature": 0.9}, keep_alive="10m")
    server.add(Answer.json(chat_response("a")), Answer.json(chat_response("b")))
    await model.complete(ChatRequest.of("hi", temperature=0.2, top_p=0.5, seed=7, stop=["END"], max_tokens=50))
    await model.complete(ChatRequest.of("hi"))
    first, second = (r.body for r in server.received)
    assert first["options"] == {"num_ctx": 8192, "temperature": 0.2, "top_p": 0.5, "seed": 7, "stop": ["END"], "num_predict": 50}
    assert second["options"] == {"num_ctx": 8192, "temperature": 0.9, "num_predict": 200}  # the client's options, under the request's
    assert first["keep_alive"] == second["keep_alive"] == "10m"


async def test_tool_calls_go_back_with_arguments_as_objects_and_results_name_their_tool(server: ProviderServer, model: OllamaChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    server.add(
        WIRE.calls(("", "weather", '{"input": "Oslo"}'), ("", "weather", '{"input": "Bergen"}')),
        Answer.json(chat_response("Sunny in both.")),
    )
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Weather in Oslo and Bergen?") == "Sunny in both."
    first, second = (r.body for r in server.received)
    definition: dict[str, Any] = dict(tool(weather).definition())
    parameters = {k: v for k, v in definition["parameters"].items() if k != "additionalProperties"}  # the SDK's Tool drops it
    assert first["tools"] == [{"type": "function", "function": {**definition, "parameters": parameters}}]  # OpenAI's function format
    assert second["messages"][-3] == {
        "role": "assistant",
        "tool_calls": [
            {"function": {"name": "weather", "arguments": {"input": "Oslo"}}},
            {"function": {"name": "weather", "arguments": {"input": "Bergen"}}},
        ],
    }  # no ids: Ollama has none (and the SDK leaves out the empty content)
    assert second["messages"][-2:] == [
        {"role": "tool", "content": "sunny in Oslo", "tool_name": "weather"},
        {"role": "tool", "content": "sunny in Bergen", "tool_name": "weather"},
    ]


async def test_tool_call_ids_are_made_here_stable_across_replies_and_distinct_within_one(server: ProviderServer, model: OllamaChatModel) -> None:
    calls = (("", "f", '{"x": 1}'), ("", "f", '{"x": 1}'), ("", "g", "{}"))
    server.add(WIRE.calls(*calls), WIRE.calls(*calls))
    first = await model.complete(ChatRequest.of("go"))
    second = await model.complete(ChatRequest.of("go"))
    assert first.finish_reason == "tool_calls"  # Ollama said `stop`
    assert first.tool_calls == second.tool_calls  # the same reply, the same ids: replays keep their cache keys
    assert len({c.id for c in first.tool_calls}) == 3
    assert first.tool_calls[0] == ToolCall(call_id(0, "f", '{"x": 1}'), "f", '{"x": 1}')


def test_a_tool_result_answering_no_known_call_goes_without_a_tool_name() -> None:
    from tta_dev_primitives.stdlib.llm.providers._ollama_chat import _conversation

    call = ToolCall("c1", "lookup", '{"q": "a"}')
    sent = _conversation(
        (ChatMessage("assistant", "Looking.", (call,)), ChatMessage("tool", "found", tool_call_id="c1"), ChatMessage("tool", "?", tool_call_id="zz"))
    )
    assert sent == [
        {"role": "assistant", "content": "Looking.", "tool_calls": [{"function": {"name": "lookup", "arguments": {"q": "a"}}}]},
        {"role": "tool", "content": "found", "tool_name": "lookup"},
        {"role": "tool", "content": "?"},
    ]


async def test_tool_arguments_the_model_broke_are_replayed_as_an_empty_object(server: ProviderServer, model: OllamaChatModel) -> None:
    from tta_dev_primitives.stdlib.llm.providers._ollama_chat import _conversation

    broken = ChatMessage("assistant", "", (ToolCall("c1", "f", '{"x": '), ToolCall("c2", "f", "[1, 2]")))
    assert [c["function"]["arguments"] for c in _conversation((broken,))[0]["tool_calls"]] == [{}, {"input": [1, 2]}]


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_structured_output_sends_the_json_schema_itself_as_format(server: ProviderServer, model: OllamaChatModel) -> None:
    server.add(Answer.json(chat_response('{"number": "A-1", "total": 9.5}')))
    assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50")) == Invoice("A-1", 9.5)
    schema = server.received[0].body["format"]
    assert schema["type"] == "object" and schema["required"] == ["number", "total"] and "name" not in schema


@pytest.mark.parametrize(
    ("done_reason", "calls", "finish"),
    [("stop", False, "stop"), ("stop", True, "tool_calls"), ("length", False, "length"), (None, False, "stop"), ("unload", False, "unload")],
)
async def test_done_reasons_in_openais_words(server: ProviderServer, model: OllamaChatModel, done_reason: str | None, calls: bool, finish: str) -> None:
    server.add(Answer.json(chat_response("x", calls=[("", "f", "{}")] if calls else (), done_reason=done_reason)))
    assert (await model.complete(ChatRequest.of("hi"))).finish_reason == finish


async def test_a_streamed_reply_reads_text_calls_and_the_counts_of_its_last_line(server: ProviderServer, client: Any) -> None:
    seen: list[ChatResponse] = []
    model = OllamaChatModel(client, "llama3.2", on_response=seen.append)
    server.add(
        ndjson(
            [
                chat_response("Let me ", done=False),
                chat_response("check.", done=False),
                chat_response(calls=[("", "f", '{"a": 1}'), ("", "g", "{}")], done=False),
                chat_response(done_reason="length", usage=(40, 9)),
            ]
        )
    )
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == ["Let me ", "check."]
    assert server.received[0].body["stream"] is True
    expected_calls = (ToolCall(call_id(0, "f", '{"a": 1}'), "f", '{"a": 1}'), ToolCall(call_id(1, "g", "{}"), "g", "{}"))
    assert seen == [ChatResponse("Let me check.", "test-model", 40, 9, expected_calls, "length")]


async def test_an_error_line_inside_a_stream_is_transient_after_the_text_received(server: ProviderServer, model: OllamaChatModel) -> None:
    lines = [(chat_response("par", done=False).model_dump_json() + "\n").encode(), b'{"error": "an error was encountered while running the model"}\n']
    server.add(Answer.raw_stream("application/x-ndjson", lines))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="reported an error: an error was encountered while running the model") as info:
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["par"] and info.value.status is None


async def test_an_unknown_model_says_to_pull_it(server: ProviderServer, model: OllamaChatModel) -> None:
    server.add(WIRE.error(404, "model 'llama3.2' not found"))
    with pytest.raises(ModelCallError, match=r"model 'llama3.2' not found \(pull it with `ollama pull llama3.2`") as info:
        await model.complete(ChatRequest.of("hi"))
    assert info.value.status == 404 and len(server.received) == 1


async def test_a_busy_server_is_transient_with_the_retry_after_the_sdks_error_leaves_out(server: ProviderServer, model: OllamaChatModel) -> None:
    server.add(WIRE.error(503, "server busy, please try again.  maximum pending requests exceeded", retry_after="5"), WIRE.error(429, "slow down", retry_after="2"))
    with pytest.raises(ModelTransientError) as info:
        await model.complete(ChatRequest.of("hi"))
    # ResponseError holds the body's text and the status only: the hint comes from the HTTP answer behind it
    assert (info.value.status, info.value.retry_after) == (503, 5.0) and len(server.received) == 1
    assert info.value.__context__ is None  # which does not travel with our error
    with pytest.raises(ModelTransientError) as info:
        [piece async for piece in model.stream(ChatRequest.of("hi"))]
    assert (info.value.status, info.value.retry_after) == (429, 2.0)  # a stream's refusal too


async def test_a_server_that_is_down_is_transient_with_the_sdks_advice() -> None:
    async with ollama.AsyncClient(host="http://127.0.0.1:9") as client:
        with pytest.raises(ModelTransientError, match="Failed to connect to Ollama") as info:
            await OllamaChatModel(client, "llama3.2").complete(ChatRequest.of("hi"))
    assert info.value.status is None and info.value.__context__ is None


async def test_a_key_from_ollama_api_key_is_sent_and_never_shown(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", KEY)  # how the SDK takes a key for Ollama's hosted API
    async with ollama.AsyncClient(host=server.base_url) as client:
        model = OllamaChatModel(client, "gpt-oss:120b")
        server.add(WIRE.error(401, f"unauthorized: invalid key {KEY}"))
        with pytest.raises(ModelCallError) as info:
            await model.complete(ChatRequest.of("hi"))
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(info.value) and "[redacted]" in str(info.value) and KEY not in repr(model)
    assert KEY not in "".join(traceback.format_exception(info.value))


async def test_text_no_json_can_carry_is_our_error_not_a_malformed_reply(server: ProviderServer, model: OllamaChatModel) -> None:
    with pytest.raises(UnicodeEncodeError):  # not retried as if the server had answered badly
        await model.complete(ChatRequest.of("lone \ud800 surrogate"))
    assert server.received == []


async def test_a_tool_schema_the_sdk_refuses_fails_before_the_call(server: ProviderServer, model: OllamaChatModel) -> None:
    from pydantic import ValidationError

    from tta_dev_primitives import ToolSpec

    request = attrs.evolve(ChatRequest.of("hi"), tools=(ToolSpec("f", "a tool", json.dumps({"type": "string"})),))
    with pytest.raises(ValidationError):  # a bug of ours, raised as it is: not a ModelTransientError to retry
        await model.complete(request)
    assert server.received == []


async def test_nested_tool_parameters_reach_the_server_as_far_as_ollamas_tool_type_keeps_them(server: ProviderServer, model: OllamaChatModel) -> None:
    """The SDK's `Tool` (like Ollama's server) keeps a parameter's type, description, enum and
    items: a nested object's own properties are dropped (documented in docs/providers/ollama.md)."""
    from tta_dev_primitives import ToolSpec

    city = {"type": "string", "description": "A city", "enum": ["Oslo", "Bergen"]}
    tags = {"type": "array", "items": {"type": "string"}}
    schema = {
        "type": "object",
        "properties": {
            "city": city,
            "tags": tags,
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
        },
        "required": ["city"],
    }
    server.add(Answer.json(chat_response("ok")))
    await model.complete(attrs.evolve(ChatRequest.of("hi"), tools=(ToolSpec("f", "a tool", json.dumps(schema)),)))
    sent = server.received[0].body["tools"][0]["function"]["parameters"]
    assert sent["properties"]["city"] == city and sent["properties"]["tags"] == tags
    assert sent["properties"]["where"] == {"type": "object"} and sent["required"] == ["city"]


async def test_from_options_finds_the_server_as_the_sdk_does(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.stdlib.llm.providers._ollama_chat import from_options

    monkeypatch.setenv("OLLAMA_HOST", server.base_url)
    model = from_options("qwen3", base_url=None, max_tokens=64)
    server.add(Answer.json(chat_response("hi")))
    async with model.client:
        assert (await model.complete(ChatRequest.of("hi"))).text == "hi"
    assert server.received[0].body["options"] == {"num_predict": 64} and server.received[0].body["model"] == "qwen3"
    monkeypatch.delenv("OLLAMA_HOST")
    default = from_options("qwen3", base_url=None, max_tokens=None)
    assert str(default.client._client.base_url) == "http://127.0.0.1:11434"
    assert str(from_options("qwen3", base_url="http://gpu-box:8080", max_tokens=None).client._client.base_url) == "http://gpu-box:8080"


def test_the_command_line_names_ollama() -> None:
    from tta_dev_primitives import FakeChatModel, chat_model

    picked = chat_model(FakeChatModel(), ["--provider", "ollama", "--model", "qwen3:8b", "--base-url", "http://127.0.0.1:9"])
    assert isinstance(picked, OllamaChatModel) and picked.model == "qwen3:8b" and picked.max_tokens == 1024
    assert isinstance(chat_model(FakeChatModel(), ["--provider", "ollama"]), OllamaChatModel)  # llama3.2 by default


@pytest.mark.parametrize("keep_alive", [[10], {"m": 10}, object()])
async def test_a_keep_alive_the_sdk_would_refuse_is_a_config_error_not_a_malformed_reply(client: Any, keep_alive: object) -> None:
    """Else every call fails inside the SDK before sending, read as a transient malformed response."""
    from tta_dev_primitives.errors import ConfigError

    with pytest.raises(ConfigError, match="keep_alive"):
        OllamaChatModel(client, "llama3.2", keep_alive=keep_alive)  # type: ignore[arg-type]
