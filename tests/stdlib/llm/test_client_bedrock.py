"""BedrockChatModel: the real `boto3` client against a loopback server speaking Bedrock's
Converse wire (restJson bodies, and AWS's binary event-stream for ConverseStream); what the
shared suite (test_provider_clients.py) does not check: the request's shape on the wire,
Bedrock's error codes, errors inside a stream, the client's retry setting, cancellation."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import pytest

boto3 = pytest.importorskip("boto3")

import botocore.config

from tests.fixtures.provider_server import Answer, ProviderServer
from tests.fixtures.provider_wires import KEY
from tests.fixtures.provider_wires.bedrock_wire import (
    ACCESS_KEY_ID,
    EVENT_STREAM,
    bedrock_error,
    converse_response,
    frame,
    sdk_client,
    stream_exception,
    stream_frames,
    text,
    use,
)
from tta_dev_primitives import (
    ChatMessage,
    ChatRequest,
    ToolCall,
    ToolSpec,
    agent,
    compile,
    structured,
    tool,
)
from tta_dev_primitives.errors import ConfigError
from tta_dev_primitives.stdlib.llm.prices import DEFAULT_PRICES, price_for
from tta_dev_primitives.stdlib.llm.providers import (
    BedrockChatModel,
    ModelCallError,
    ModelTransientError,
)
from tta_dev_primitives.stdlib.llm.providers._bedrock_chat import (
    NO_RETRIES,
    from_options,
)

pytestmark = pytest.mark.anyio
MODEL = "amazon.nova-lite-v1:0"


@pytest.fixture
def client(server: ProviderServer) -> Iterator[Any]:
    sdk = sdk_client(server.base_url)
    yield sdk
    sdk.close()


@pytest.fixture
def model(client: Any) -> BedrockChatModel:
    return BedrockChatModel(client, MODEL, max_tokens=300)


def reply(value: str = "ok", **options: Any) -> Answer:
    return Answer.json(converse_response(text(value), **options))


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_the_request_goes_to_the_models_converse_path_signed_for_bedrock(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(reply("Paris."), Answer.raw_stream(EVENT_STREAM, stream_frames(["Paris."])))
    await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert [piece async for piece in model.stream(ChatRequest.of("again"))] == ["Paris."]
    unary, streamed = server.received
    assert unary.path == "/model/amazon.nova-lite-v1%3A0/converse" and streamed.path == "/model/amazon.nova-lite-v1%3A0/converse-stream"
    authorization = unary.headers["authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/") and "/us-east-1/bedrock/aws4_request" in authorization
    assert KEY.encode() not in unary.raw and all(KEY not in v for v in unary.headers.values())  # signed with it, never sent
    body = unary.body
    assert body["system"] == [{"text": "Be brief."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Capital of France?"}]}]
    assert "modelId" not in body  # in the path


async def test_settings_go_in_inference_config_only_when_set(server: ProviderServer, client: Any) -> None:
    server.add(reply("one"), reply("two"))
    capped = BedrockChatModel(client, MODEL, max_tokens=300)
    await compile(agent(capped, [], max_turns=1, temperature=0.2, top_p=0.9, max_tokens=64, stop=["END"])).run("hi")
    assert server.received[0].body["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]}
    await BedrockChatModel(client, MODEL).complete(ChatRequest.of("hi"))
    assert not {"inferenceConfig", "toolConfig", "outputConfig", "system"} & set(server.received[1].body)  # the model's defaults apply


async def test_a_seed_is_refused_before_the_call(server: ProviderServer, model: BedrockChatModel) -> None:
    with pytest.raises(ConfigError, match=r"request\.seed.*Converse API has no seed"):
        await model.complete(ChatRequest.of("hi", seed=1))
    assert server.received == []


async def test_tools_calls_and_results_take_converses_block_shapes(server: ProviderServer, model: BedrockChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        if city == "Atlantis":
            raise LookupError("no such city")
        return f"sunny in {city}"

    server.add(
        Answer.json(converse_response(use("tu_1", "weather", {"input": "Atlantis"}), use("tu_2", "weather", {"input": "Rome"}))),
        reply("Rome is sunny; Atlantis is unknown."),
    )
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Atlantis and Rome?") == "Rome is sunny; Atlantis is unknown."
    first, second = (r.body for r in server.received)
    [spec] = first["toolConfig"]["tools"]
    assert spec["toolSpec"]["name"] == "weather" and spec["toolSpec"]["description"] == "Weather for a city."
    assert spec["toolSpec"]["inputSchema"]["json"]["type"] == "object" and "toolChoice" not in first["toolConfig"]
    _, assistant, results = second["messages"]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "tu_1", "name": "weather", "input": {"input": "Atlantis"}}},
            {"toolUse": {"toolUseId": "tu_2", "name": "weather", "input": {"input": "Rome"}}},
        ],
    }
    assert results["role"] == "user" and len(results["content"]) == 2  # consecutive results share one user turn
    failed, passed = (block["toolResult"] for block in results["content"])
    assert failed["toolUseId"] == "tu_1" and failed["status"] == "error" and failed["content"][0]["text"].startswith("error: ")
    assert passed == {"toolUseId": "tu_2", "content": [{"text": "sunny in Rome"}]}
    assert second["toolConfig"] == first["toolConfig"]  # Converse wants the tools whenever the turns hold toolUse blocks


def test_consecutive_turns_of_one_role_share_a_message_and_empty_text_is_left_out() -> None:
    from tta_dev_primitives.stdlib.llm.providers._bedrock_chat import _conversation

    system, turns = _conversation(
        (
            ChatMessage("system", "a"),
            ChatMessage("system", "b"),
            ChatMessage("user", "q"),
            ChatMessage("assistant", "", (ToolCall("t1", "f", "not json"),)),
            ChatMessage("tool", "r", tool_call_id="t1"),
            ChatMessage("user", "again"),
            ChatMessage("assistant", ""),
        )
    )
    assert system == [{"text": "a"}, {"text": "b"}]
    assert turns == [
        {"role": "user", "content": [{"text": "q"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}, {"text": "again"}]},
    ]


async def test_blank_text_converse_refuses_is_never_sent(server: ProviderServer, model: BedrockChatModel) -> None:
    conversation = (
        ChatMessage("user", "ping?"),
        ChatMessage("assistant", "", (ToolCall("tu_1", "ping", "{}"),)),
        ChatMessage("tool", "", tool_call_id="tu_1"),
    )
    server.add(reply("pong"))
    await model.complete(ChatRequest(conversation, tools=(ToolSpec("ping", "", '{"type": "object"}'),)))
    body = server.received[0].body
    assert body["toolConfig"]["tools"][0]["toolSpec"] == {"name": "ping", "inputSchema": {"json": {"type": "object"}}}  # no empty description
    assert body["messages"][2]["content"] == [{"toolResult": {"toolUseId": "tu_1", "content": [{"text": "(no output)"}]}}]


async def test_structured_output_forces_the_answer_tool(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(Answer.json(converse_response(use("tu_9", "Invoice", {"number": "A-1", "total": 9.5}))))
    invoice = await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50"))
    assert invoice == Invoice("A-1", 9.5)
    config = server.received[0].body["toolConfig"]
    assert config["toolChoice"] == {"tool": {"name": "Invoice"}}
    assert config["tools"][0]["toolSpec"]["name"] == "Invoice" and config["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"] == ["number", "total"]


async def test_the_answer_tool_is_a_finished_reply_not_a_tool_call(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(
        Answer.json(converse_response(use("tu_9", "Invoice", {"number": "A-1", "total": 9.5}))),
        Answer.raw_stream(EVENT_STREAM, stream_frames([], [("tu_9", "Invoice", '{"number": "A-1", "total": 9.5}')])),
    )
    request = attrs.evolve(ChatRequest.of("Extract"), response_format=json.dumps({"name": "Invoice", "schema": {"type": "object"}}))
    whole = await model.complete(request)
    assert (json.loads(whole.text), whole.tool_calls, whole.finish_reason) == ({"number": "A-1", "total": 9.5}, (), "stop")
    seen: list[Any] = []
    streaming = BedrockChatModel(model.client, MODEL, on_response=seen.append)
    assert [piece async for piece in streaming.stream(request)] == []
    assert (json.loads(seen[0].text), seen[0].finish_reason) == ({"number": "A-1", "total": 9.5}, "stop")


async def test_a_typed_agent_may_call_tools_before_the_answer_tool(server: ProviderServer, model: BedrockChatModel) -> None:
    async def lookup(number: str) -> str:
        """Look an invoice up."""
        return "total 9.5"

    server.add(
        Answer.json(converse_response(use("tu_1", "lookup", {"input": "A-1"}))),
        Answer.json(converse_response(use("tu_2", "Invoice", {"number": "A-1", "total": 9.5}))),
    )
    assert await compile(agent(model, [tool(lookup)], max_turns=3, output=Invoice)).run("Invoice A-1?") == Invoice("A-1", 9.5)
    config = server.received[0].body["toolConfig"]
    assert config["toolChoice"] == {"any": {}} and [t["toolSpec"]["name"] for t in config["tools"]] == ["lookup", "Invoice"]


async def test_native_structured_output_sends_a_json_schema_text_format(server: ProviderServer, client: Any) -> None:
    model = BedrockChatModel(client, "anthropic.claude-haiku-4-5-20251001-v1:0", structured_output="json_schema")
    server.add(reply('{"number": "A-1", "total": 9.5}'))
    assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: A-1, 9.50")) == Invoice("A-1", 9.5)
    body = server.received[0].body
    assert "toolConfig" not in body
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema" and text_format["structure"]["jsonSchema"]["name"] == "Invoice"
    assert json.loads(text_format["structure"]["jsonSchema"]["schema"])["required"] == ["number", "total"]  # a JSON string, as Bedrock takes it


async def test_stop_reasons_read_in_openais_words(server: ProviderServer, model: BedrockChatModel) -> None:
    reasons = {
        "end_turn": "stop",
        "stop_sequence": "stop",
        "max_tokens": "length",
        "model_context_window_exceeded": "length",
        "guardrail_intervened": "content_filter",
        "content_filtered": "content_filter",
        "malformed_model_output": "malformed_model_output",
    }
    for reason in reasons:
        server.add(reply("x", stop=reason))
    assert [(await model.complete(ChatRequest.of("hi"))).finish_reason for _ in reasons] == list(reasons.values())


async def test_bedrocks_error_codes_classify_by_status_and_show_the_code(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(bedrock_error(429, "Model is getting ready", "ModelNotReadyException"), bedrock_error(424, "The model failed"))
    with pytest.raises(ModelTransientError, match="ModelNotReadyException: Model is getting ready") as info:
        await model.complete(ChatRequest.of("hi"))
    assert info.value.status == 429 and info.value.retry_after is None
    with pytest.raises(ModelCallError, match="ModelErrorException") as refused:
        await model.complete(ChatRequest.of("hi"))
    assert not isinstance(refused.value, ModelTransientError) and refused.value.status == 424
    assert len(server.received) == 2


@pytest.mark.parametrize(
    ("kind", "transient"),
    [("throttlingException", True), ("modelStreamErrorException", True), ("serviceUnavailableException", True), ("validationException", False)],
)
async def test_an_error_inside_a_stream_is_classified_by_its_code(server: ProviderServer, model: BedrockChatModel, kind: str, transient: bool) -> None:
    frames = stream_frames(["one ", "two"], end=False)[:2]
    server.add(Answer.raw_stream(EVENT_STREAM, [*frames, stream_exception(kind, "Too many tokens, please wait.")]))
    received: list[str] = []
    with pytest.raises((ModelCallError, ModelTransientError)) as info:
        async for piece in model.stream(ChatRequest.of("count")):
            received.append(piece)
    assert received == ["one "] and isinstance(info.value, ModelTransientError) is transient
    assert isinstance(info.value, (ModelCallError, ModelTransientError)) and info.value.status is None
    assert "Too many tokens" in str(info.value)


async def test_a_refused_stream_is_classified_like_a_call_and_sent_once(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(bedrock_error(429, "Too many requests"), bedrock_error(403, "You don't have access to the model"))
    with pytest.raises(ModelTransientError) as info:
        [piece async for piece in model.stream(ChatRequest.of("hi"))]
    assert info.value.status == 429 and len(server.received) == 1
    with pytest.raises(ModelCallError) as refused:
        [piece async for piece in model.stream(ChatRequest.of("hi"))]
    assert refused.value.status == 403 and "AccessDeniedException" in str(refused.value)


async def test_a_page_where_the_event_stream_should_be_is_a_malformed_response(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(Answer.raw_stream("text/html", [b"<html><body>Bad gateway, please try again later</body></html>"]))
    with pytest.raises(ModelTransientError, match="malformed response"):
        [piece async for piece in model.stream(ChatRequest.of("hi"))]


async def test_a_corrupt_event_frame_is_a_malformed_response(server: ProviderServer, model: BedrockChatModel) -> None:
    good = stream_frames(["one "])
    broken = bytearray(good[1])
    broken[-6] ^= 0xFF  # a payload byte: the message's CRC no longer matches
    server.add(Answer.raw_stream(EVENT_STREAM, [good[0], bytes(broken), *good[2:]]))
    with pytest.raises(ModelTransientError, match="malformed response"):
        [piece async for piece in model.stream(ChatRequest.of("hi"))]


async def test_an_event_payload_of_the_wrong_shape_is_a_malformed_response(server: ProviderServer, model: BedrockChatModel) -> None:
    odd = frame({":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event"}, b'{"unexpected": 1}')
    server.add(Answer.raw_stream(EVENT_STREAM, [stream_frames([])[0], odd]))
    with pytest.raises(ModelTransientError, match="malformed response"):
        [piece async for piece in model.stream(ChatRequest.of("hi"))]


async def test_a_client_that_would_resend_is_refused(server: ProviderServer) -> None:
    retrying = [
        boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=server.base_url, aws_access_key_id="a", aws_secret_access_key="b"),
        # botocore's `max_attempts` counts retries: 1 means two requests
        boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=server.base_url, aws_access_key_id="a", aws_secret_access_key="b",
            config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
        ),
    ]
    for client in retrying:
        with pytest.raises(ConfigError, match="total_max_attempts"):
            BedrockChatModel(client, MODEL)
        client.close()
    other = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with pytest.raises(ConfigError, match='a boto3 "bedrock-runtime" client'):
        BedrockChatModel(other, MODEL)
    other.close()
    zero = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=server.base_url, aws_access_key_id="a", aws_secret_access_key="b",
        config=botocore.config.Config(retries={"max_attempts": 0}),
    )
    BedrockChatModel(zero, MODEL)  # no retries, said the other way
    zero.close()


async def test_the_session_token_and_a_bedrock_api_key_are_redacted(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    token, api_key = "FwoGZXIvYXdzSESSIONTOKEN0123456789", "ABSKbedrockapikey0123456789"
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=server.base_url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=KEY,
        aws_session_token=token, config=botocore.config.Config(retries=NO_RETRIES.copy()),
    )
    try:
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", api_key)
        model = BedrockChatModel(client, MODEL)
        monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK")  # botocore would sign with it, over HTTPS only
        server.add(bedrock_error(403, f"token {token} key {api_key} secret {KEY} refused"))
        with pytest.raises(ModelCallError) as info:
            await model.complete(ChatRequest.of("hi"))
    finally:
        client.close()
    message = str(info.value)
    assert token not in message and api_key not in message and KEY not in message and message.count("[redacted]") == 3


def test_from_options_builds_a_client_with_retries_off_in_the_environments_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    for variable, region in (("", "us-east-1"), ("AWS_DEFAULT_REGION", "eu-west-3"), ("AWS_REGION", "ap-south-1")):
        if variable:
            monkeypatch.setenv(variable, region)
        model = from_options(MODEL, base_url=None, max_tokens=512)
        meta = model.client.meta
        assert meta.region_name == region and meta.endpoint_url == f"https://bedrock-runtime.{region}.amazonaws.com"
        config: Any = meta.config  # the stubs leave out its settings
        assert config.retries["total_max_attempts"] == 1 and config.read_timeout == 300 and config.max_pool_connections == 40
        assert model.max_tokens == 512
        model.client.close()


def test_bedrock_client_turns_retries_off_over_the_users_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.stdlib.llm.providers import bedrock_client

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    session = boto3.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=KEY, region_name="eu-central-1")
    users = botocore.config.Config(retries={"max_attempts": 5, "mode": "adaptive"}, read_timeout=30, user_agent_extra="mine")
    client = bedrock_client(session=session, config=users, endpoint_url="http://127.0.0.1:9")
    config: Any = client.meta.config
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"} and config.read_timeout == 30
    assert config.max_pool_connections == 40 and config.user_agent_extra == "mine" and client.meta.region_name == "eu-central-1"
    BedrockChatModel(client, MODEL)  # accepted
    client.close()


def test_bedrock_ids_find_their_prices_with_a_geographic_prefix_not_a_guess() -> None:
    nova = price_for("amazon.nova-lite-v1:0")
    assert nova is not None and (nova.input_per_million, nova.output_per_million) == (0.06, 0.24)
    assert price_for("us.amazon.nova-lite-v1:0") == nova and price_for("eu.amazon.nova-lite-v1:0") == nova
    regional = price_for("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    global_ = price_for("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert regional is not None and global_ is not None and (regional.input_per_million, global_.input_per_million) == (3.3, 3.0)
    assert price_for("anthropic.claude-sonnet-4-5-20250929-v1:0") == regional  # in-region: the regional price
    assert price_for("us.amazon.nova-lite-v2:0") is None and price_for("xx.amazon.nova-lite-v1:0") is None
    assert price_for("us.gpt-4o") is None  # only Bedrock ids take a prefix
    assert all(price_for(f"meta.llama3-{m}-instruct-v1:0") is not None for m in ("1-8b", "3-70b"))
    assert "mistral.mistral-large-2402-v1:0" in DEFAULT_PRICES


# -- cancellation: a server that holds its stream until told to go on -----------------------


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


STREAM_HEAD = f"HTTP/1.1 200 OK\r\ncontent-type: {EVENT_STREAM}\r\ntransfer-encoding: chunked\r\n\r\n".encode()


@contextlib.contextmanager
def held_answer(before: bytes, after: bytes) -> Iterator[tuple[str, threading.Event, threading.Event, threading.Event]]:
    """A one-connection HTTP server: it reads the request (then sets `requested`), sends
    `before` (raw bytes), waits for `go` before sending `after`, then sets `closed` once the
    client has closed the connection."""
    requested, go, closed = threading.Event(), threading.Event(), threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            while len(body) < length:
                body += connection.recv(65536)
            requested.set()
            connection.sendall(before)
            go.wait(10)
            try:
                connection.sendall(after)
                connection.settimeout(10)
                while connection.recv(65536):  # until the client closes its end
                    pass
                closed.set()
            except (BrokenPipeError, ConnectionResetError):  # closed already
                closed.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", requested, go, closed
    finally:
        go.set()
        thread.join(10)
        listener.close()


def reads_in_flight() -> int:
    """How many worker threads are in a stream read now (in `ThreadedEvents._next`)."""
    return sum(1 for thread in threading.enumerate() if thread.is_alive() and _reading_thread(thread))


def _reading_thread(thread: threading.Thread) -> bool:
    import sys
    import traceback

    frame = sys._current_frames().get(thread.ident or -1)
    return frame is not None and any(f.name == "_next" and f.filename.endswith("_streams.py") for f in traceback.extract_stack(frame))


async def test_a_cancelled_stream_returns_at_once_and_its_thread_closes_the_connection() -> None:
    frames = stream_frames(["one ", "two ", "three"])
    with held_answer(STREAM_HEAD + chunk(b"".join(frames[:2])), b"".join(map(chunk, frames[2:]))) as (url, _, go, closed):
        client = sdk_client(url)
        model = BedrockChatModel(client, MODEL)
        received: list[str] = []
        got_first = anyio.Event()
        scope = anyio.CancelScope()

        async def consume() -> None:
            with scope:
                async for piece in model.stream(ChatRequest.of("count")):
                    received.append(piece)
                    got_first.set()

        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await got_first.wait()
            with anyio.fail_after(10):  # the consumer waits on its read's thread (the server holds the rest)
                while reads_in_flight() == 0:  # the thread may not have picked the read up yet
                    await anyio.lowlevel.checkpoint()
            scope.cancel()
        assert received == ["one "] and scope.cancelled_caught and not go.is_set()  # returned without the server going on
        go.set()  # the abandoned read gets its event, sees the stream closed and closes the connection
        assert await anyio.to_thread.run_sync(closed.wait, 10)
        client.close()


async def test_a_cancelled_call_returns_at_once_while_its_thread_waits_for_the_answer() -> None:
    body = json.dumps(converse_response(text("late"))).encode()
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    with held_answer(b"", answer) as (url, requested, go, _):
        client = sdk_client(url)
        finished = threading.Event()
        client.meta.events.register("after-call.bedrock-runtime.Converse", lambda **_: finished.set())  # in the call's thread
        model = BedrockChatModel(client, MODEL)
        scope = anyio.CancelScope()

        async def call() -> None:
            with scope:
                await model.complete(ChatRequest.of("hi"))

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            assert await anyio.to_thread.run_sync(requested.wait, 10)  # the call's thread sent it: it waits for the answer
            scope.cancel()
        assert scope.cancelled_caught and not go.is_set() and not finished.is_set()  # returned without the answer
        go.set()
        assert await anyio.to_thread.run_sync(finished.wait, 10)  # the abandoned thread got the answer (dropped)
        client.close()


async def test_a_stream_cancelled_while_opening_is_closed_when_it_opens() -> None:
    frames = stream_frames(["one ", "two"])
    with held_answer(b"", STREAM_HEAD + chunk(frames[0])) as (url, requested, go, closed):  # the rest never comes
        client = sdk_client(url)
        model = BedrockChatModel(client, MODEL)
        scope = anyio.CancelScope()

        async def consume() -> None:
            with scope:
                [piece async for piece in model.stream(ChatRequest.of("hi"))]

        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            assert await anyio.to_thread.run_sync(requested.wait, 10)  # the opening thread waits for the answer
            scope.cancel()
        assert scope.cancelled_caught and not go.is_set()
        go.set()  # the stream opens in the abandoned thread, which closes it
        assert await anyio.to_thread.run_sync(closed.wait, 10)
        client.close()


async def test_a_stream_left_early_closes_its_connection(server: ProviderServer, model: BedrockChatModel) -> None:
    server.add(Answer.raw_stream(EVENT_STREAM, stream_frames(["one ", "two ", "three"])), reply("next"))
    stream = model.stream(ChatRequest.of("count"))
    assert isinstance(stream, AsyncGenerator)
    async with contextlib.aclosing(stream) as pieces:
        async for piece in pieces:
            assert piece == "one "
            break
    assert (await model.complete(ChatRequest.of("hi"))).text == "next"  # the client still works
