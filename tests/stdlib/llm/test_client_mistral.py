"""MistralChatModel: what goes on Mistral's wire and what comes back that only Mistral has (the
shared behaviour of every client is in test_provider_clients.py). The real `mistralai` SDK talks
to the loopback server; answers are the SDK's own models in its own serialisation."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, cast

import anyio
import attrs
import pytest

pytest.importorskip("mistralai.client")

from mistralai.client import Mistral, models  # noqa: E402
from mistralai.client.errors import HTTPValidationErrorData  # noqa: E402
from mistralai.client.utils import BackoffStrategy, RetryConfig  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.shared_server import anyio_backend, server, shared_server  # noqa: E402, F401 - fixtures
from tests.fixtures.provider_wires import KEY  # noqa: E402
from tests.fixtures.provider_wires.mistral_wire import MistralWire, chunk, close_sdk, completion, dump, error_body  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, ToolCall, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import MistralChatModel, ModelCallError, ModelTransientError  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._mistral_chat import _conversation  # noqa: E402

pytestmark = pytest.mark.anyio
wire = MistralWire()


@pytest.fixture(scope="module")
async def client(shared_server: ProviderServer, anyio_backend: str) -> AsyncIterator[Any]:
    """One SDK client for the module's tests on each backend (tests/fixtures/shared_server.py)."""
    async with wire.client(shared_server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> MistralChatModel:
    return MistralChatModel(client, "mistral-small-latest", max_tokens=200)


def json_answer(model: Any) -> Answer:
    return Answer(200, dump(model), (("content-type", "application/json"),))


def sse(*chunks: Any) -> Answer:
    return Answer.stream([(None, dump(c) if not isinstance(c, str) else c) for c in chunks])


async def test_complete_sends_mistrals_chat_format_and_reads_text_and_usage(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(json_answer(completion("Paris.")))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert response == ChatResponse("Paris.", "mistral-small-2506", 12, 3, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "mistral-small-latest" and sent.body["max_tokens"] == 200 and sent.body["stream"] is False
    assert not {"temperature", "top_p", "random_seed", "stop", "tools", "response_format"} & set(sent.body)  # the model's defaults apply
    assert sent.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    assert sent.headers["authorization"] == f"Bearer {KEY}"  # the SDK's auth, not ours


async def test_tool_calls_and_results_round_trip_in_mistrals_shape(server: ProviderServer, model: MistralChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    server.add(json_answer(completion(calls=[("D681PevKs", "weather", '{"input": "Oslo"}')], finish="tool_calls")), json_answer(completion("Sunny.")))
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Weather in Oslo?") == "Sunny."
    first, second = (r.body for r in server.received)
    assert first["tools"] == [{"type": "function", "function": tool(weather).definition()}]
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "D681PevKs", "type": "function", "function": {"name": "weather", "arguments": '{"input": "Oslo"}'}, "index": 0}],
        "prefix": False,  # the SDK's defaults (`index`, `prefix`) written out
    }
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "D681PevKs", "name": "weather", "content": "sunny in Oslo"}


def test_a_tool_result_names_its_tool_only_when_the_call_it_answers_is_in_the_conversation() -> None:
    turns = _conversation(
        (
            ChatMessage("user", "hi"),
            ChatMessage("assistant", "", tool_calls=(ToolCall("abc123XYZ", "lookup", "not json"),)),
            ChatMessage("tool", "found", tool_call_id="abc123XYZ"),
            ChatMessage("tool", "orphan", tool_call_id="zzz"),
        )
    )
    assert turns[1]["tool_calls"][0]["function"]["arguments"] == "{}"  # arguments that were no JSON object are not replayed
    assert turns[2] == {"role": "tool", "tool_call_id": "abc123XYZ", "content": "found", "name": "lookup"}
    assert turns[3] == {"role": "tool", "tool_call_id": "zzz", "content": "orphan"}


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_structured_output_sends_a_json_schema_response_format(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(json_answer(completion('{"number": "A-1", "total": 9.5}')))
    assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50")) == Invoice("A-1", 9.5)
    sent = server.received[0].body["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Invoice" and sent["json_schema"]["strict"] is False
    assert sent["json_schema"]["schema"]["required"] == ["number", "total"]  # under the wire's own key, `schema`


async def test_settings_reach_the_wire_only_when_set_and_the_seed_as_random_seed(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(json_answer(completion("one")), json_answer(completion("two")))
    settings = {"temperature": 0.7, "top_p": 0.5, "max_tokens": 50, "stop": ["END", "STOP"], "seed": 42}
    assert await compile(agent(model, [], max_turns=2, **settings)).run("hi") == "one"  # type: ignore[call-overload]
    body = server.received[0].body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop"], body["random_seed"]) == (0.7, 0.5, 50, ["END", "STOP"], 42)
    assert "seed" not in body
    assert await compile(agent(model, [], max_turns=2, temperature=0.0)).run("hi") == "two"
    body = server.received[1].body
    assert body["temperature"] == 0.0 and body["max_tokens"] == 200  # only what was set (and the client's own cap)
    assert not {"top_p", "random_seed", "stop"} & set(body)


async def test_a_model_without_a_cap_sends_none(server: ProviderServer, client: Any) -> None:
    server.add(json_answer(completion("ok")))
    await MistralChatModel(client, "mistral-small-latest").complete(ChatRequest.of("hi"))
    assert "max_tokens" not in server.received[0].body


async def test_a_stream_is_asked_for_and_its_usage_read_from_the_last_chunk(server: ProviderServer, client: Any) -> None:
    seen: list[ChatResponse] = []
    model = MistralChatModel(client, "mistral-small-latest", on_response=seen.append)
    server.add(sse(chunk("", role="assistant"), chunk("Bon"), chunk("jour"), chunk("", finish="stop", usage=(9, 2)), "[DONE]"))
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == ["Bon", "jour"]
    assert server.received[0].path == "/v1/chat/completions" and server.received[0].body["stream"] is True
    assert server.received[0].headers["accept"] == "text/event-stream"
    assert seen == [ChatResponse("Bonjour", "mistral-small-2506", 9, 2, finish_reason="stop")]


async def test_a_full_context_window_is_a_length_stop(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(json_answer(completion("The answer is", finish="model_length")))
    response = await model.complete(ChatRequest.of("long?"))
    assert response.finish_reason == "length" and response.truncated


async def test_a_reply_that_stopped_with_error_is_transient(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(json_answer(completion("half an ans", finish="error")))
    with pytest.raises(ModelTransientError, match="finish_reason 'error'"):
        await model.complete(ChatRequest.of("hi"))
    server.add(sse(chunk("half "), chunk("an ans", finish="error"), "[DONE]"))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="finish_reason 'error'") as info:
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["half ", "an ans"] and info.value.status is None


async def test_a_reasoning_reply_keeps_its_text_chunks_not_its_thinking(server: ProviderServer, model: MistralChatModel) -> None:
    content: list[Any] = [models.ThinkChunk(thinking=[models.TextChunk(text="Let me think.")]), models.TextChunk(text="42.")]
    reply = completion("")
    reply.choices[0].message = models.AssistantMessage(content=content)
    server.add(json_answer(reply))
    assert (await model.complete(ChatRequest.of("answer?"))).text == "42."
    thinking = chunk("")
    thinking.choices[0].delta = models.DeltaMessage(content=[models.ThinkChunk(thinking=[models.TextChunk(text="Hmm.")])])
    text = chunk("")
    text.choices[0].delta = models.DeltaMessage(content=[models.TextChunk(text="42.")])
    server.add(sse(thinking, text, chunk("", finish="stop", usage=(3, 4)), "[DONE]"))
    assert [piece async for piece in model.stream(ChatRequest.of("answer?"))] == ["42."]


async def test_a_call_without_an_id_gets_one_in_mistrals_form(server: ProviderServer, model: MistralChatModel) -> None:
    reply = completion("")
    reply.choices[0].message = models.AssistantMessage(content="", tool_calls=[models.ToolCall(function=models.FunctionCall(name="f", arguments={"a": 1}))])
    server.add(json_answer(reply))
    [call] = (await model.complete(ChatRequest.of("hi"))).tool_calls
    assert re.fullmatch(r"[A-Za-z0-9]{9}", call.id) and (call.name, json.loads(call.arguments)) == ("f", {"a": 1})


async def test_tool_call_pieces_streamed_by_index_are_joined(server: ProviderServer, model: MistralChatModel) -> None:
    # Mistral sends each call whole; an OpenAI-style server behind the same SDK sends pieces
    def piece(index: int, name: str, arguments: str, id_: str | None = None) -> Any:
        c = chunk("")
        call = models.ToolCall(function=models.FunctionCall(name=name, arguments=arguments), index=index, **({"id": id_} if id_ else {}))
        c.choices[0].delta = models.DeltaMessage(tool_calls=[call])
        return c

    server.add(
        sse(
            piece(0, "weather", '{"input": ', "aaaaaaaa1"),
            piece(0, "", '"Oslo"}'),
            piece(1, "weather", '{"input": "Rome"}', "aaaaaaaa2"),
            chunk("", finish="tool_calls", usage=(5, 5)),
            "[DONE]",
        )
    )
    seen: list[ChatResponse] = []
    model.on_response = seen.append
    assert [p async for p in model.stream(ChatRequest.of("weather?"))] == []
    assert seen[0].tool_calls == (ToolCall("aaaaaaaa1", "weather", '{"input": "Oslo"}'), ToolCall("aaaaaaaa2", "weather", '{"input": "Rome"}'))


async def test_the_sdks_retries_stay_off_even_when_the_client_was_built_with_them(server: ProviderServer) -> None:
    retrying = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 5_000), True)
    sdk = Mistral(api_key=KEY, server_url=server.base_url, retry_config=retrying)
    try:
        model = MistralChatModel(sdk, "mistral-small-latest")
        server.add(wire.error(503, "busy"), wire.error(429, "slow down"))
        with pytest.raises(ModelTransientError):
            await model.complete(ChatRequest.of("hi"))
        with pytest.raises(ModelTransientError):
            [piece async for piece in model.stream(ChatRequest.of("hi"))]
        assert len(server.received) == 2  # one request each
    finally:
        await close_sdk(sdk)


async def test_a_validation_error_is_permanent_and_says_what_was_wrong(server: ProviderServer, model: MistralChatModel) -> None:
    detail = HTTPValidationErrorData(detail=[models.ValidationError(loc=["body", "temperature"], msg="Input should be less than 2", type="less_than")])
    server.add(Answer(422, dump(detail), (("content-type", "application/json"),)))
    with pytest.raises(ModelCallError, match="HTTP 422: .*Input should be less than 2") as info:
        await model.complete(ChatRequest.of("hi"))
    assert not isinstance(info.value, ModelTransientError)


async def test_mistrals_error_object_inside_a_stream_is_transient(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(Answer.stream([(None, dump(chunk("Hel"))), (None, json.dumps(error_body(500, "Internal server error")))]))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="reported an error: Internal server error"):
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["Hel"]


async def test_a_key_the_sdk_reads_from_the_environment_is_masked_too(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", KEY)
    sdk = Mistral(server_url=server.base_url)  # no key given: the SDK takes MISTRAL_API_KEY
    try:
        server.add(wire.error(401, f"Unauthorized: {KEY}"))
        with pytest.raises(ModelCallError) as info:
            await MistralChatModel(sdk, "mistral-small-latest").complete(ChatRequest.of("hi"))
    finally:
        await close_sdk(sdk)
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(info.value) and "[redacted]" in str(info.value)


async def test_a_key_given_as_a_callable_is_masked_too(server: ProviderServer) -> None:
    """The SDK keeps the callable, not the key: the client asks it again to mask the key."""
    sdk = Mistral(api_key=lambda: KEY, server_url=server.base_url)
    try:
        server.add(wire.error(401, f"Unauthorized: {KEY}"), wire.error(401, f"Unauthorized: {KEY}"))
        model = MistralChatModel(sdk, "mistral-small-latest")
        with pytest.raises(ModelCallError) as info:
            await model.complete(ChatRequest.of("hi"))
        with pytest.raises(ModelCallError) as streamed:
            async for _ in model.stream(ChatRequest.of("hi")):
                pass
    finally:
        await close_sdk(sdk)
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"
    for caught in (info, streamed):
        assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)


async def test_a_request_naming_another_model_is_refused_before_sending(server: ProviderServer, model: MistralChatModel) -> None:
    from tta_dev_primitives.errors import ConfigError

    with pytest.raises(ConfigError):
        await model.complete(attrs.evolve(ChatRequest.of("hi"), model="mistral-large-latest"))
    assert server.received == []


def test_mistral_models_and_the_dated_ids_they_answer_with_are_priced() -> None:
    from tta_dev_primitives.stdlib.llm.prices import PRICE_SOURCES, price_for

    for name in ("mistral-large-latest", "mistral-medium-latest", "mistral-small-latest", "codestral-latest", "ministral-8b-latest", "magistral-medium-latest"):
        assert price_for(name) is not None, name
    small = price_for("mistral-small-2603")  # what mistral-small-latest answers as
    assert small is not None and (small.input_per_million, small.output_per_million) == (0.15, 0.60)
    assert price_for("mistral-small-2612") is None  # a snapshot not in the table is not guessed
    assert any("mistral.ai" in source for source in PRICE_SOURCES)


@contextlib.contextmanager
def stalling_server(first: bytes = b"") -> Iterator[str]:
    """A server that reads a request, sends `first` (nothing: it never answers) and then holds the
    connection open until the test ends: what a call waits on when it is cancelled."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)
            connection.recv(65536)
            if first:
                connection.sendall(first)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        listener.close()
        for connection in held:
            connection.close()
        thread.join(timeout=10)


async def test_a_cancelled_call_returns_at_once_on_either_backend() -> None:
    # on trio the SDK's sync call runs in a worker thread, which is left to finish on its own
    with stalling_server() as url:
        sdk = Mistral(api_key=KEY, server_url=url, timeout_ms=20_000)
        try:
            model = MistralChatModel(sdk, "mistral-small-latest")
            started = time.monotonic()
            with anyio.move_on_after(0.2) as scope:
                await model.complete(ChatRequest.of("hi"))
            assert scope.cancelled_caught and time.monotonic() - started < 5
        finally:
            await close_sdk(sdk)


async def test_a_stream_cancelled_while_waiting_for_an_event_returns_at_once_and_closes() -> None:
    event = f"data: {dump(chunk('Hel', role='assistant'))}\n\n".encode()
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    with stalling_server(head + f"{len(event):x}\r\n".encode() + event + b"\r\n") as url:
        sdk = Mistral(api_key=KEY, server_url=url, timeout_ms=20_000)
        try:
            model = MistralChatModel(sdk, "mistral-small-latest")
            received: list[str] = []
            started = time.monotonic()
            with anyio.move_on_after(0.5) as scope:
                async for piece in model.stream(ChatRequest.of("hi")):
                    received.append(piece)
            assert scope.cancelled_caught and received == ["Hel"] and time.monotonic() - started < 5
        finally:
            await close_sdk(sdk)


async def test_a_stream_left_early_releases_its_connection(server: ProviderServer, model: MistralChatModel) -> None:
    server.add(wire.stream(["one ", "two ", "three"]), wire.reply("next"))
    async with contextlib.aclosing(cast(AsyncGenerator[str, None], model.stream(ChatRequest.of("count")))) as pieces:
        async for piece in pieces:
            assert piece == "one "
            break
    assert (await model.complete(ChatRequest.of("again"))).text == "next"  # the client is not stuck on the first stream

