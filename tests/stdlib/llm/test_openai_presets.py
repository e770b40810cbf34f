"""The OpenAI-compatible presets (OpenRouter, Together, DeepSeek, vLLM, LM Studio): each preset's
path, key and headers on the wire, what a preset does not support refused before sending, and
DeepSeek's JSON mode. The behaviour every client shares is checked in test_provider_clients.py
(each preset is a wire there)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

pytest.importorskip("openai")

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.provider_wires import KEY, wire_named  # noqa: E402
from tests.fixtures.provider_wires.openai_presets_wire import PresetWire  # noqa: E402
from tests.fixtures.provider_wires.openai_wire import completion  # noqa: E402
from tta_dev_primitives import ChatRequest, ConfigError, FakeChatModel, agent, chat_model, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import OpenAIChatModel  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._chat_completions import SCHEMA_INSTRUCTION  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers._openai_presets import (  # noqa: E402
    DEEPSEEK,
    PRESETS,
    CompatibleChatModel,
    deepseek,
    lmstudio,
    openrouter,
    together,
    vllm,
)
from tta_dev_primitives.stdlib.llm.providers.select import PROVIDERS  # noqa: E402

pytestmark = pytest.mark.anyio

KEYS = {"openrouter": "OPENROUTER_API_KEY", "together": "TOGETHER_API_KEY", "deepseek": "DEEPSEEK_API_KEY", "vllm": "VLLM_API_KEY"}
PATHS = {"openrouter": "/api/v1", "together": "/v1", "deepseek": "", "vllm": "/v1", "lmstudio": "/v1"}


@attrs.frozen
class Invoice:
    number: str
    total: float


async def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


@pytest.fixture
async def deepseek_client(server: ProviderServer) -> AsyncIterator[Any]:
    async with DEEPSEEK.client(api_key=KEY, base_url=server.base_url) as client:
        yield client


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key in the environment unless a test sets one (OPENAI_API_KEY never reaches a preset)."""
    for variable in (*KEYS.values(), "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)


def test_every_preset_is_a_provider_the_command_line_names_with_a_builder_of_its_name() -> None:
    from tta_dev_primitives.stdlib.llm.providers import _openai_presets

    for name, preset in PRESETS.items():
        spec = PROVIDERS[name]
        assert (spec.module, spec.builder, spec.extra) == ("_openai_presets", name, "openai")
        assert callable(getattr(_openai_presets, spec.builder)) and preset.name == name
        assert preset.path == PATHS[name] and preset.key_variable == KEYS.get(name)


@pytest.mark.parametrize("name", sorted(PRESETS))
async def test_each_preset_calls_its_own_path_with_its_key(server: ProviderServer, name: str) -> None:
    wire = wire_named(name)
    assert isinstance(wire, PresetWire)
    server.add(wire.reply("ok"))
    async with wire.client(server.base_url) as client:
        model = wire.chat_model(client)
        assert isinstance(model, OpenAIChatModel) and model.provider == name
        response = await model.complete(ChatRequest.of("hi"))
    assert response.text == "ok"
    sent = server.received[0]
    assert sent.path == PATHS[name] + "/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == wire.model_name


async def test_openrouter_sends_its_referer_and_title_headers(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    model = openrouter("anthropic/claude-haiku-4.5", base_url=server.base_url + "/api/v1", referer="https://example.org/app", title="My app")
    plain = openrouter("anthropic/claude-haiku-4.5", base_url=server.base_url + "/api/v1")
    server.add(Answer.json(completion("ok", model="anthropic/claude-haiku-4.5")), Answer.json(completion("ok")))
    try:
        await model.complete(ChatRequest.of("hi"))
        await plain.complete(ChatRequest.of("hi"))
    finally:
        await model.client.close()
        await plain.client.close()
    first, second = (r.headers for r in server.received)
    assert (first["http-referer"], first["x-title"], first["authorization"]) == ("https://example.org/app", "My app", f"Bearer {KEY}")
    assert "http-referer" not in second and "x-title" not in second
    assert repr(model) == "CompatibleChatModel('openrouter', model='anthropic/claude-haiku-4.5')"


@pytest.mark.parametrize("name", ["openrouter", "together", "deepseek"])
def test_a_hosted_preset_without_its_key_is_a_config_error_naming_the_variable(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-key-that-must-not-travel")
    with pytest.raises(ConfigError, match=f"expected a key, given or in {KEYS[name]}"):
        PROVIDERS_BUILDERS[name]("some-model")
    monkeypatch.setenv(KEYS[name], "")  # set but empty (an unfilled .env line): no key either, not a placeholder sent
    with pytest.raises(ConfigError, match=f"expected a key, given or in {KEYS[name]}"):
        PROVIDERS_BUILDERS[name]("some-model")


@pytest.mark.parametrize("name", ["vllm", "lmstudio"])
async def test_a_local_server_needs_no_key_and_defaults_to_its_port(name: str) -> None:
    model = PROVIDERS_BUILDERS[name]("my-model")
    try:
        assert model.client.api_key == "EMPTY"
        assert str(model.client.base_url) == {"vllm": "http://127.0.0.1:8000/v1/", "lmstudio": "http://127.0.0.1:1234/v1/"}[name]
    finally:
        await model.client.close()


@pytest.mark.parametrize("name", ["vllm", "lmstudio"])
def test_a_local_server_needs_a_model_name(name: str) -> None:
    with pytest.raises(ConfigError, match="--model"):
        chat_model(FakeChatModel(), ["--provider", name])
    with pytest.raises(ConfigError, match="model"):
        PROVIDERS_BUILDERS[name]("")


async def test_vllm_takes_a_key_from_its_variable_when_the_server_wants_one(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_API_KEY", KEY)
    model = vllm("Qwen/Qwen2.5-7B-Instruct", base_url=server.base_url + "/v1")
    server.add(Answer.json(completion("ok")))
    try:
        await model.complete(ChatRequest.of("hi"))
    finally:
        await model.client.close()
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"


async def test_deepseek_takes_structured_output_as_json_mode_with_the_schema_in_the_prompt(server: ProviderServer, deepseek_client: Any) -> None:
    model = DEEPSEEK.chat_model(deepseek_client, "deepseek-chat")
    server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')))
    invoice = await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50", system="Extract invoices."))
    assert invoice == Invoice("A-1", 9.5)
    body = server.received[0].body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith(f"Extract invoices.\n\n{SCHEMA_INSTRUCTION}\n")
    assert "json" in system["content"].lower()  # DeepSeek's JSON mode wants the word in the prompt
    assert json.loads(system["content"].split("\n", 3)[3])["required"] == ["number", "total"]


async def test_deepseek_refuses_a_seed_before_sending(server: ProviderServer, deepseek_client: Any) -> None:
    model = DEEPSEEK.chat_model(deepseek_client, "deepseek-chat")
    with pytest.raises(ConfigError, match=r"DeepSeek \(deepseek\) model 'deepseek-chat': invalid request.seed=7; expected None \(DeepSeek takes no seed\)"):
        await model.complete(ChatRequest.of("hi", seed=7))
    with pytest.raises(ConfigError, match="request.seed"):
        [piece async for piece in model.stream(ChatRequest.of("hi", seed=7))]
    assert server.received == []


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ChatRequest.of("hi", temperature=0.5), "request.temperature"),
        (ChatRequest.of("hi", top_p=0.9), "request.top_p"),
    ],
)
async def test_deepseek_reasoner_refuses_sampling_settings(server: ProviderServer, deepseek_client: Any, request_: ChatRequest, field: str) -> None:
    model = DEEPSEEK.chat_model(deepseek_client, "deepseek-reasoner")
    with pytest.raises(ConfigError, match=rf"model 'deepseek-reasoner': invalid {field}=.*deepseek-reasoner on DeepSeek takes no"):
        await model.complete(request_)
    assert server.received == []


async def test_deepseek_reasoner_refuses_tools_but_deepseek_chat_takes_them(server: ProviderServer, deepseek_client: Any) -> None:
    reasoner = DEEPSEEK.chat_model(deepseek_client, "deepseek-reasoner")
    with pytest.raises(ConfigError, match=r"invalid request.tools=\['weather'\]; expected no tools"):
        await compile(agent(reasoner, [tool(weather)], max_turns=2)).run("Weather in Oslo?")
    assert server.received == []
    server.add(Answer.json(completion("Sunny.")), Answer.json(completion("plain")))
    assert await compile(agent(DEEPSEEK.chat_model(deepseek_client, "deepseek-chat"), [tool(weather)], max_turns=2)).run("Weather?") == "Sunny."
    assert await reasoner.complete(ChatRequest.of("hi")) is not None  # plain chat goes out
    reasoned = server.received[1].body
    assert reasoned["model"] == "deepseek-reasoner" and "max_completion_tokens" not in reasoned and "tools" not in reasoned


async def test_deepseek_reasoner_caps_replies_with_max_tokens(server: ProviderServer, deepseek_client: Any) -> None:
    server.add(Answer.json(completion("ok")))
    await DEEPSEEK.chat_model(deepseek_client, "deepseek-reasoner", max_tokens=300).complete(ChatRequest.of("hi"))
    assert server.received[0].body["max_tokens"] == 300


@pytest.mark.parametrize("name", ["openrouter", "together", "vllm", "lmstudio"])
async def test_the_other_presets_send_json_schema_and_a_seed(server: ProviderServer, name: str) -> None:
    wire = wire_named(name)
    server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')))
    async with wire.client(server.base_url) as client:
        model = wire.chat_model(client)
        await compile(structured(model, Invoice)).run(ChatRequest.of("Extract", seed=3, temperature=0.1))
    body = server.received[0].body
    assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["name"] == "Invoice"
    assert (body["seed"], body["temperature"]) == (3, 0.1)
    assert SCHEMA_INSTRUCTION not in json.dumps(body["messages"])


def test_a_preset_record_is_frozen_and_says_what_each_model_supports() -> None:
    assert DEEPSEEK.support_for("deepseek-chat").structured_output == "json_object"
    reasoner = DEEPSEEK.support_for("deepseek-reasoner")
    assert (reasoner.tools, reasoner.sampling, reasoner.seed) == (False, False, False)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        DEEPSEEK.base_url = "http://elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEEPSEEK.headers["x"] = "y"  # type: ignore[index]
    assert hash(DEEPSEEK) == hash(attrs.evolve(DEEPSEEK)) and {DEEPSEEK: 1}[attrs.evolve(DEEPSEEK)] == 1


def test_from_options_builds_each_preset_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives.stdlib.llm.providers._openai_presets import from_options

    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    model = from_options("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", base_url=None, max_tokens=64)
    assert isinstance(model, CompatibleChatModel) and model.provider == "together" and model.max_tokens == 64
    assert str(model.client.base_url) == "https://api.together.xyz/v1/" and model.client.max_retries == 0
    with pytest.raises(ConfigError, match="provider"):
        from_options("nowhere", "m", base_url=None, max_tokens=None)


def test_deepseek_and_together_models_are_priced_and_openrouter_openai_ids_at_openais_price() -> None:
    from tta_dev_primitives.stdlib.llm.prices import price_for

    chat = price_for("deepseek-chat")
    assert chat is not None and (chat.input_per_million, chat.output_per_million, chat.context_window) == (0.27, 1.10, 64_000)
    assert price_for("deepseek-reasoner") is not None and price_for("meta-llama/Llama-3.3-70B-Instruct-Turbo") is not None
    assert price_for("openai/gpt-4o-mini") == price_for("gpt-4o-mini") is not None
    assert price_for("openai/gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("anthropic/claude-haiku-4.5") is None  # not the vendor's own id: unpriced, never guessed


PROVIDERS_BUILDERS = {"openrouter": openrouter, "together": together, "deepseek": deepseek, "vllm": vllm, "lmstudio": lmstudio}


async def test_any_openai_compatible_server_with_json_mode_only_can_take_structured_output_that_way(server: ProviderServer) -> None:
    import openai

    async with openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url + "/v1") as client:
        model = OpenAIChatModel(client, "local-model", structured_output="json_object")
        server.add(Answer.json(completion('{"number": "A-1", "total": 9.5}')))
        assert await compile(structured(model, Invoice)).run(ChatRequest.of("Extract")) == Invoice("A-1", 9.5)
        with pytest.raises(ConfigError, match="structured_output"):
            OpenAIChatModel(client, "local-model", structured_output="yaml")  # type: ignore[arg-type]
    body = server.received[0].body
    assert body["response_format"] == {"type": "json_object"} and body["messages"][0]["content"].startswith(SCHEMA_INSTRUCTION)
