"""The original package's model primitives (`tta_dev_primitives.integrations.*`): the original's
requests and responses over our provider clients, with the real SDKs against the loopback
provider server (replies built from the SDKs' own types, see tests/fixtures/provider_wires/)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.fixtures.provider_server import Answer, ProviderServer
from tests.fixtures.provider_wires import KEY, close_client
from tta_dev_primitives.core.base import LambdaPrimitive, WorkflowContext
from tta_dev_primitives.errors import ConfigError, MissingExtraError, ModelCallError, ModelTransientError
from tta_dev_primitives.stdlib.llm.model import ChatResponse, usage_reports

pytestmark = pytest.mark.anyio


def ctx() -> WorkflowContext:
    return WorkflowContext(workflow_id="integrations")


@pytest.fixture
async def opened() -> AsyncIterator[list[Any]]:
    """Primitives whose SDK clients are closed after the test (the original's model primitives
    have no `close`: their clients are the SDKs')."""
    primitives: list[Any] = []
    yield primitives
    for primitive in primitives:
        client = primitive.client
        if hasattr(client, "aio"):  # google-genai: its async and sync sides
            await client.aio.aclose()
            client.close()
        else:
            await close_client(client)


@contextlib.contextmanager
def reported() -> Iterator[list[ChatResponse]]:
    """The replies our clients report usage for (on the span, and here) inside the block."""
    seen: list[ChatResponse] = []
    token = usage_reports.set(seen)
    try:
        yield seen
    finally:
        usage_reports.reset(token)


# -- OpenAI --------------------------------------------------------------------------------------


def openai_primitive(server: ProviderServer, opened: list[Any]) -> Any:
    pytest.importorskip("openai")
    from tta_dev_primitives.integrations.openai_primitive import OpenAIPrimitive

    primitive = OpenAIPrimitive(api_key=KEY, base_url=server.base_url + "/v1")
    opened.append(primitive)
    return primitive


async def test_openai_request_and_reply_map_to_the_original_shapes(server: ProviderServer, opened: list[Any]) -> None:
    from tests.fixtures.provider_wires.openai_wire import completion
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest, OpenAIResponse

    primitive = openai_primitive(server, opened)
    server.add(Answer.json(completion("Paris.", usage=(12, 3))), Answer.json(completion("Rome.", model="gpt-4")))
    request = OpenAIRequest(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital?"}], temperature=0.3, max_tokens=50)
    with reported() as reports:
        response = await primitive.execute(request, ctx())
        other = await primitive.execute(OpenAIRequest(messages=[{"role": "user", "content": "Italy?"}], model="gpt-4"), ctx())
    assert response == OpenAIResponse(
        content="Paris.", model="gpt-4o-mini-2024-07-18", usage={"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}, finish_reason="stop"
    )
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == {"model": "gpt-4o-mini", "messages": request.messages, "temperature": 0.3, "max_tokens": 50}
    assert server.received[1].body == {"model": "gpt-4", "messages": [{"role": "user", "content": "Italy?"}]}  # nothing unset goes out
    assert other.content == "Rome." and other.model == "gpt-4"
    assert [(r.text, r.input_tokens, r.output_tokens) for r in reports] == [("Paris.", 12, 3), ("Rome.", 12, 3)]  # usage recorded


async def test_openai_calls_the_client_the_primitive_holds_at_call_time(server: ProviderServer, opened: list[Any]) -> None:
    import openai

    from tests.fixtures.provider_wires.openai_wire import completion
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest

    primitive = openai_primitive(server, opened)
    server.add(Answer.json(completion("one")), Answer.json(completion("two")))
    request = OpenAIRequest(messages=[{"role": "user", "content": "hi"}])
    await primitive.execute(request, ctx())
    first = primitive.client
    primitive.client = openai.AsyncOpenAI(api_key="sk-another-key-9876543210", base_url=server.base_url + "/v1")
    await first.close()
    assert (await primitive.execute(request, ctx())).content == "two"
    assert server.received[1].headers["authorization"] == "Bearer sk-another-key-9876543210"


async def test_the_call_goes_through_the_sdk_method_the_original_called(server: ProviderServer, opened: list[Any]) -> None:
    """Code written for the original replaces `client.chat.completions.create` (a spy, a mock):
    our client calls whatever is there when the call is made."""
    from tests.fixtures.provider_wires.openai_wire import completion
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest

    primitive = openai_primitive(server, opened)
    real = primitive.client.chat.completions.create
    seen: list[dict[str, Any]] = []

    async def spy(**arguments: Any) -> Any:
        seen.append(arguments)
        return await real(**arguments)

    server.add(Answer.json(completion("spied")))
    primitive.client.chat.completions.create = spy
    response = await primitive.execute(OpenAIRequest(messages=[{"role": "user", "content": "hi"}], temperature=1.5), ctx())
    assert response.content == "spied"
    assert seen == [{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "temperature": 1.5}]


async def test_openai_failures_are_our_typed_errors_without_the_key(server: ProviderServer, opened: list[Any]) -> None:
    from tests.fixtures.provider_wires.openai_wire import openai_error
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest

    primitive = openai_primitive(server, opened)
    request = OpenAIRequest(messages=[{"role": "user", "content": "hi"}])
    server.add(openai_error(429, f"slow down, {KEY}", retry_after="2"))
    with pytest.raises(ModelTransientError) as busy:
        await primitive.execute(request, ctx())
    assert busy.value.retry_after == 2 and KEY not in str(busy.value)
    server.add(openai_error(400, "bad request"))
    with pytest.raises(ModelCallError) as refused:
        await primitive.execute(request, ctx())
    assert refused.value.status == 400
    assert len(server.received) == 2  # one attempt each: the SDK's retries are off
    server.add(Answer(200, '{"id": "x", "choices": [', (("content-type", "application/json"),)))
    with pytest.raises(ModelTransientError, match="malformed"):
        await primitive.execute(request, ctx())
    server.add(Answer(200, "<html>Bad gateway</html>", (("content-type", "text/html"),)))
    with pytest.raises(ModelTransientError, match="malformed"):
        await primitive.execute(request, ctx())


async def test_a_message_without_a_role_we_know_or_with_another_field_is_refused_before_sending(server: ProviderServer, opened: list[Any]) -> None:
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest

    primitive = openai_primitive(server, opened)
    with pytest.raises(ConfigError, match=r"OpenAIPrimitive: invalid messages\[0\]\.role='robot'"):
        await primitive.execute(OpenAIRequest(messages=[{"role": "robot", "content": "hi"}]), ctx())
    with pytest.raises(ConfigError, match=r"messages\[0\]\.content"):
        await primitive.execute(OpenAIRequest(messages=[{"role": "user"}]), ctx())
    with pytest.raises(ConfigError, match=r"messages\[1\]\.name='ann'"):  # not silently dropped
        await primitive.execute(OpenAIRequest(messages=[{"role": "user", "content": "hi"}, {"role": "user", "content": "yo", "name": "ann"}]), ctx())
    assert server.received == []


async def test_the_primitive_composes_with_the_originals_sequence_and_compiles(server: ProviderServer, opened: list[Any]) -> None:
    from tests.fixtures.provider_wires.openai_wire import completion
    from tta_dev_primitives import compile
    from tta_dev_primitives.integrations.openai_primitive import OpenAIRequest, OpenAIResponse

    primitive = openai_primitive(server, opened)
    ask: LambdaPrimitive[str, OpenAIRequest] = LambdaPrimitive(lambda text: OpenAIRequest(messages=[{"role": "user", "content": text}]))
    answer: LambdaPrimitive[OpenAIResponse, str] = LambdaPrimitive(lambda response: response.content.upper())
    server.add(Answer.json(completion("yes")), Answer.json(completion("no")))
    pipeline = ask >> primitive >> answer
    assert await pipeline.execute("ok?", ctx()) == "YES"
    assert await compile(pipeline).run("ok?") == "NO"


# -- Anthropic -----------------------------------------------------------------------------------


async def test_anthropic_keeps_the_stop_reason_in_anthropics_words(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("anthropic")
    from tests.fixtures.provider_wires.anthropic_wire import message, text
    from tta_dev_primitives.integrations.anthropic_primitive import AnthropicPrimitive, AnthropicRequest

    primitive = AnthropicPrimitive(model="claude-haiku-4-5", api_key=KEY, base_url=server.base_url)
    opened.append(primitive)
    server.add(Answer.json(message(text("Hello"), text(" there"), usage=(20, 4), stop="max_tokens")))
    request = AnthropicRequest(messages=[{"role": "user", "content": "hi"}], system="Be kind.", temperature=0.5, max_tokens=100)
    with reported() as reports:
        response = await primitive.execute(request, ctx())
    assert response.content == "Hello there" and response.model == "claude-haiku-4-5-20251001"
    assert response.usage == {"input_tokens": 20, "output_tokens": 4, "total_tokens": 24}
    assert response.stop_reason == "max_tokens"
    body = server.received[0].body
    assert body["system"] == "Be kind." and body["max_tokens"] == 100 and body["temperature"] == 0.5
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert KEY in server.received[0].headers.get("x-api-key", server.received[0].headers.get("authorization", ""))
    assert reports[0].finish_reason == "length"  # our reply says it in OpenAI's words


async def test_anthropic_sends_each_turns_text_as_the_original(server: ProviderServer, opened: list[Any]) -> None:
    """A conversation goes out as the original sent it: every turn's content a string (an
    assistant turn too, not a list of one text block)."""
    pytest.importorskip("anthropic")
    from tests.fixtures.provider_wires.anthropic_wire import message, text
    from tta_dev_primitives.integrations.anthropic_primitive import AnthropicPrimitive, AnthropicRequest

    primitive = AnthropicPrimitive(api_key=KEY, base_url=server.base_url)
    opened.append(primitive)
    server.add(Answer.json(message(text("4"), usage=(9, 1), stop="end_turn")))
    turns = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "Let me see."}, {"role": "user", "content": "Well?"}]
    response = await primitive.execute(AnthropicRequest(messages=turns), ctx())
    assert response.content == "4"
    assert server.received[0].body["messages"] == turns


async def test_anthropic_long_replies_are_streamed_and_keep_the_stop_reason(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("anthropic")
    from tests.fixtures.provider_wires.anthropic_wire import stream_events
    from tta_dev_primitives.integrations.anthropic_primitive import AnthropicPrimitive, AnthropicRequest

    primitive = AnthropicPrimitive(api_key=KEY, base_url=server.base_url)
    opened.append(primitive)
    server.add(stream_events(["Long ", "story"], usage=(11, 6)))
    response = await primitive.execute(AnthropicRequest(messages=[{"role": "user", "content": "tell"}], max_tokens=20_000), ctx())
    assert (response.content, response.stop_reason, response.usage["output_tokens"]) == ("Long story", "end_turn", 6)
    assert server.received[0].body["stream"] is True


# -- Ollama --------------------------------------------------------------------------------------


async def test_ollama_options_timings_and_model_override(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("ollama")
    from tests.fixtures.provider_wires.ollama_wire import chat_response
    from tta_dev_primitives.integrations.ollama_primitive import OllamaPrimitive, OllamaRequest

    primitive = OllamaPrimitive(host=server.base_url)
    opened.append(primitive)
    assert primitive.host == server.base_url and primitive.model == "llama3.2"
    server.add(Answer.json(chat_response("Hi!", model="mistral", usage=(12, 3))))
    request = OllamaRequest(messages=[{"role": "user", "content": "hi"}], model="mistral", temperature=0.5, options={"temperature": 0.9, "num_ctx": 4096})
    response = await primitive.execute(request, ctx())
    assert response.model_dump() == {
        "content": "Hi!",
        "model": "mistral",
        "done": True,
        "total_duration": 1_000_000,
        "load_duration": None,
        "prompt_eval_count": 12,
        "eval_count": 3,
    }
    body = server.received[0].body
    assert server.received[0].path == "/api/chat" and body["model"] == "mistral"
    assert body["options"] == {"temperature": 0.9, "num_ctx": 4096}  # the request's options over its temperature, as in the original


async def test_ollama_replies_are_read_by_key_as_the_sdks_types_allow(server: ProviderServer, opened: list[Any]) -> None:
    """The SDK's replies are subscriptable (`reply["message"]["content"]`), as the original read
    them: a client answering a plain mapping of the same shape reads the same."""
    pytest.importorskip("ollama")
    from tta_dev_primitives.integrations.ollama_primitive import OllamaPrimitive, OllamaRequest

    primitive = OllamaPrimitive(host=server.base_url)
    opened.append(primitive)
    sent: list[dict[str, Any]] = []

    async def chat(**arguments: Any) -> dict[str, Any]:
        sent.append(arguments)
        return {"model": "llama3.2", "message": {"role": "assistant", "content": "plain"}, "done": True, "eval_count": 4}

    primitive.client.chat = chat
    response = await primitive.execute(OllamaRequest(messages=[{"role": "user", "content": "hi"}]), ctx())
    assert (response.content, response.done, response.eval_count, response.prompt_eval_count) == ("plain", True, 4, None)
    assert sent[0] == {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}  # the original's arguments, exactly
    primitive.client.chat = lambda **arguments: _answer({"done": True})  # no message: a malformed reply
    with pytest.raises(ModelTransientError, match="malformed"):
        await primitive.execute(OllamaRequest(messages=[{"role": "user", "content": "hi"}]), ctx())


async def _answer(value: Any) -> Any:
    return value


async def test_ollama_missing_model_says_to_pull_it(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("ollama")
    from tta_dev_primitives.integrations.ollama_primitive import OllamaPrimitive, OllamaRequest

    server.add(Answer.json({"error": "model 'nope' not found"}, status=404))
    primitive = OllamaPrimitive(model="nope", host=server.base_url)
    opened.append(primitive)
    with pytest.raises(ModelCallError, match="ollama pull nope"):
        await primitive.execute(OllamaRequest(messages=[{"role": "user", "content": "hi"}]), ctx())


# -- Groq, OpenRouter, Together -------------------------------------------------------------------


async def test_groq_caps_the_reply_with_max_tokens_as_the_original(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("groq")
    from tests.fixtures.provider_wires.groq_wire import completion
    from tta_dev_primitives.integrations.groq_primitive import GroqPrimitive, GroqRequest

    primitive = GroqPrimitive(api_key=KEY, base_url=server.base_url)
    opened.append(primitive)
    server.add(Answer.json(completion("fast", usage=(7, 1))))
    response = await primitive.execute(GroqRequest(messages=[{"role": "user", "content": "go"}], max_tokens=10, temperature=0.1), ctx())
    assert (response.content, response.usage, response.finish_reason) == ("fast", {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}, "stop")
    body = server.received[0].body
    assert body["max_tokens"] == 10 and body["temperature"] == 0.1 and body["model"] == "llama-3.3-70b-versatile"
    assert "max_completion_tokens" not in body


@pytest.mark.parametrize(
    ("module", "name", "variable", "default_url"),
    [
        ("openrouter_primitive", "OpenRouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1"),
        ("together_ai_primitive", "TogetherAI", "TOGETHER_API_KEY", "https://api.together.xyz/v1"),
    ],
)
async def test_openai_compatible_services(
    server: ProviderServer, monkeypatch: pytest.MonkeyPatch, module: str, name: str, variable: str, default_url: str
) -> None:
    pytest.importorskip("openai")
    import importlib

    from tests.fixtures.provider_wires.openai_wire import completion

    faces = importlib.import_module(f"tta_dev_primitives.integrations.{module}")
    primitive_class, request_class = getattr(faces, f"{name}Primitive"), getattr(faces, f"{name}Request")
    monkeypatch.setenv(variable, "sk-from-the-environment-123456")
    assert getattr(primitive_class(), "base_url") == default_url
    server.add(Answer.json(completion("hi", model="vendor/model")))
    with reported() as reports:
        async with primitive_class(model="vendor/model", api_key=KEY, base_url=server.base_url + "/v1") as primitive:
            response = await primitive.execute(request_class(messages=[{"role": "user", "content": "hello"}], max_tokens=5), ctx())
    assert (response.content, response.model, response.usage["total_tokens"]) == ("hi", "vendor/model", 15)
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}" and sent.body["max_tokens"] == 5
    assert reports[0].model == "vendor/model"
    monkeypatch.delenv(variable)
    with pytest.raises(ConfigError, match=variable):
        primitive_class()


# -- Google AI Studio and Hugging Face ------------------------------------------------------------


async def test_google_ai_studio_generation_config_roles_and_finish_reason(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("google.genai")
    from google.genai import types

    from tests.fixtures.provider_wires.gemini_wire import dump, response
    from tta_dev_primitives.integrations.google_ai_studio_primitive import GoogleAIStudioPrimitive, GoogleAIStudioRequest

    primitive = GoogleAIStudioPrimitive(model="gemini-2.5-flash", api_key=KEY, base_url=server.base_url, generation_config={"temperature": 0.2, "max_output_tokens": 64})
    try:
        server.add(Answer(200, dump(response(types.Part(text="Bonjour"), usage=(9, 2))), (("content-type", "application/json"),)))
        request = GoogleAIStudioRequest(
            messages=[{"role": "system", "content": "French."}, {"role": "user", "content": "hi"}, {"role": "model", "content": "salut"}, {"role": "user", "content": "again"}],
            temperature=0.7,
        )
        reply = await primitive.execute(request, ctx())
        assert reply.model_dump() == {
            "content": "Bonjour",
            "model": "gemini-2.5-flash",
            "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
            "finish_reason": "STOP",
        }
        sent = server.received[0]
        assert "gemini-2.5-flash:generateContent" in sent.path
        assert sent.body["generationConfig"] == {"temperature": 0.7, "maxOutputTokens": 64}  # the request's temperature over the primitive's
        assert [c["role"] for c in sent.body["contents"]] == ["user", "model", "user"]
        assert sent.body["systemInstruction"]["parts"] == [{"text": "French."}]
    finally:
        await primitive.client.aio.aclose()
        primitive.client.close()
    with pytest.raises(ConfigError, match="candidate_count"):
        GoogleAIStudioPrimitive(api_key=KEY, generation_config={"candidate_count": 2})


async def test_hugging_face_chat_completions_on_a_tgi_server(server: ProviderServer, opened: list[Any]) -> None:
    pytest.importorskip("huggingface_hub")
    from tests.fixtures.provider_wires.huggingface_wire import completion
    from tta_dev_primitives.integrations.huggingface_primitive import HuggingFacePrimitive, HuggingFaceRequest

    server.add(Answer.json(completion("Hi there", usage=(6, 2))))
    async with HuggingFacePrimitive(model="tgi", api_key=KEY, base_url=server.base_url) as primitive:
        reply = await primitive.execute(HuggingFaceRequest(messages=[{"role": "user", "content": "hello"}], temperature=0.4), ctx())
        assert primitive._messages_to_prompt([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]) == "System: S\n\nUser: U\n\nAssistant:"
    assert (reply.content, reply.model, reply.usage["total_tokens"], reply.finish_reason) == ("Hi there", "tgi", 8, "stop")
    assert server.received[0].body["temperature"] == 0.4 and server.received[0].headers["authorization"] == f"Bearer {KEY}"


# -- the package ---------------------------------------------------------------------------------


def test_importing_the_package_imports_no_sdk() -> None:
    code = (
        "import sys, json, tta_dev_primitives.integrations as i\n"
        "names = [getattr(i, n).__name__ for n in i.__all__]\n"
        "sdks = ['openai', 'anthropic', 'ollama', 'groq', 'google.genai', 'huggingface_hub', 'supabase']\n"
        "print(json.dumps([names, [m for m in sdks if m in sys.modules]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    names, imported = json.loads(out)
    assert names == ["OpenAIPrimitive", "AnthropicPrimitive", "OllamaPrimitive", "GoogleAIStudioPrimitive", "GroqPrimitive", "OpenRouterPrimitive"] + [
        "HuggingFacePrimitive",
        "TogetherAIPrimitive",
        "SupabasePrimitive",
        "SQLitePrimitive",
    ]
    assert imported == []


@pytest.mark.parametrize(
    ("module", "cls", "sdk", "extra"),
    [
        ("openai_primitive", "OpenAIPrimitive", "openai", "openai"),
        ("anthropic_primitive", "AnthropicPrimitive", "anthropic", "anthropic"),
        ("ollama_primitive", "OllamaPrimitive", "ollama", "ollama"),
        ("groq_primitive", "GroqPrimitive", "groq", "groq"),
        ("google_ai_studio_primitive", "GoogleAIStudioPrimitive", "google.genai", "gemini"),
        ("huggingface_primitive", "HuggingFacePrimitive", "huggingface_hub", "huggingface"),
        ("openrouter_primitive", "OpenRouterPrimitive", "openai", "openai"),
        ("supabase_primitive", "SupabasePrimitive", "supabase", "supabase"),
    ],
)
def test_a_missing_sdk_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch, module: str, cls: str, sdk: str, extra: str) -> None:
    import importlib

    primitive = getattr(importlib.import_module(f"tta_dev_primitives.integrations.{module}"), cls)
    monkeypatch.setitem(sys.modules, sdk, None)  # type: ignore[arg-type]
    with pytest.raises(MissingExtraError) as caught:
        primitive(url="http://127.0.0.1:1", key="k") if sdk == "supabase" else primitive()
    assert str(caught.value) == f"{cls} needs {sdk}: pip install 'tta-dev-primitives[{extra}]'"
