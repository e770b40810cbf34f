"""OpenAIChatModel: the real `openai` SDK against a loopback server speaking OpenAI's wire format
(responses built from the SDK's own types)."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

openai = pytest.importorskip("openai")

from openai.types.chat.chat_completion_chunk import ChoiceDelta  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.provider_wires import KEY  # noqa: E402
from tests.fixtures.provider_wires.openai_wire import call_delta, chunk, completion  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, Retry, ToolCall, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm import LLMPrimitive  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import ModelCallError, ModelTransientError, OpenAIChatModel  # noqa: E402
from tta_dev_primitives.stdlib.testing import FakeClock  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(server: ProviderServer) -> AsyncIterator[Any]:
    """The SDK client, closed by the test's own event loop (left to the garbage collector, the
    SDK would close it on whichever loop runs then)."""
    async with openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url + "/v1") as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> OpenAIChatModel:
    return OpenAIChatModel(client, "gpt-4o-mini", max_tokens=200)


def error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer.json({"error": {"message": message, "type": "error", "code": None}}, status=status, headers=headers)


async def test_complete_sends_the_conversation_and_reads_text_and_usage(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json(completion("Paris.")))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert response == ChatResponse("Paris.", "gpt-4o-mini-2024-07-18", 12, 3, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "gpt-4o-mini" and sent.body["max_tokens"] == 200
    assert not {"temperature", "top_p", "seed", "stop"} & set(sent.body)  # unset: the provider's defaults apply
    assert sent.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    assert sent.headers["authorization"] == f"Bearer {KEY}"  # the SDK's auth, not ours


async def test_tool_calls_round_trip_in_the_providers_shape(server: ProviderServer, model: OpenAIChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    server.add(
        Answer.json(completion(None, calls=(("call_1", "weather", '{"input": "Oslo"}'),))),
        Answer.json(completion("It is sunny in Oslo.")),
    )
    ask = agent(model, [tool(weather)], max_turns=3)
    assert await compile(ask).run("Weather in Oslo?") == "It is sunny in Oslo."
    first, second = (r.body for r in server.received)
    assert first["tools"] == [{"type": "function", "function": tool(weather).definition()}]
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"input": "Oslo"}'}}],
    }
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny in Oslo"}


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_structured_output_sends_a_json_schema_response_format(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json(completion('{"number": "A-1", "total": "oops"}')), Answer.json(completion('{"number": "A-1", "total": 9.5}')))
    invoice = await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50"))
    assert invoice == Invoice("A-1", 9.5)
    sent = server.received[0].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Invoice" and sent["json_schema"]["strict"] is False
    assert sent["json_schema"]["schema"]["required"] == ["number", "total"]
    assert "Expected `float`" in server.received[1].body["messages"][-1]["content"]  # the re-ask carries the error


async def test_stream_yields_text_then_reports_the_assembled_reply(server: ProviderServer, client: Any) -> None:
    seen: list[ChatResponse] = []
    model = OpenAIChatModel(client, "gpt-4o-mini", on_response=seen.append)
    server.add(
        Answer.stream(
            [
                (None, chunk(ChoiceDelta(role="assistant", content="Hel"))),
                (None, chunk(ChoiceDelta(content="lo"))),
                (None, chunk(ChoiceDelta(), "stop")),
                (None, chunk(None, usage=(5, 2))),
                (None, "[DONE]"),
            ]
        )
    )
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == ["Hel", "lo"]
    assert server.received[0].body["stream"] is True and server.received[0].body["stream_options"] == {"include_usage": True}
    assert seen == [ChatResponse("Hello", "gpt-4o-mini", 5, 2, finish_reason="stop")]


async def test_a_stream_giving_every_call_index_zero_keeps_the_calls_apart_by_id(server: ProviderServer, client: Any) -> None:
    """Some servers and proxies give each parallel call index 0: a new id there is a new call,
    not more of the last one (whose name and arguments would otherwise be glued together)."""
    seen: list[ChatResponse] = []
    model = OpenAIChatModel(client, "gpt-4o-mini", on_response=seen.append)
    server.add(
        Answer.stream(
            [
                (None, chunk(call_delta(0, id="call_a", name="weather", arguments='{"city": '))),
                (None, chunk(call_delta(0, arguments='"Oslo"}'))),
                (None, chunk(call_delta(0, id="call_b", name="time", arguments="{}"))),
                (None, chunk(call_delta(1, id="call_c", name="weather", arguments='{"city": "Rome"}'))),
                (None, chunk(ChoiceDelta(), "tool_calls")),
                (None, "[DONE]"),
            ]
        )
    )
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == []
    [reply] = seen
    assert reply.tool_calls == (
        ToolCall("call_a", "weather", '{"city": "Oslo"}'),
        ToolCall("call_b", "time", "{}"),
        ToolCall("call_c", "weather", '{"city": "Rome"}'),
    )


async def test_a_key_given_as_a_callable_is_masked_in_errors(server: ProviderServer) -> None:
    """The SDK resolves a key provider at each request: the key is known only then, and masked."""

    async def key() -> str:
        return KEY

    async with openai.AsyncOpenAI(api_key=key, base_url=server.base_url + "/v1") as sdk_client:
        model = OpenAIChatModel(sdk_client, "gpt-4o-mini")
        server.add(error(401, f"Incorrect API key provided: {KEY}"), error(401, f"Incorrect API key provided: {KEY}"))
        with pytest.raises(ModelCallError) as info:
            await model.complete(ChatRequest.of("hi"))
        with pytest.raises(ModelCallError) as streamed:
            async for _ in model.stream(ChatRequest.of("hi")):
                pass
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"
    for caught in (info, streamed):
        assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)


async def test_our_retry_waits_the_retry_after_hint_on_the_clock(server: ProviderServer, model: OpenAIChatModel) -> None:
    clock = FakeClock()
    server.add(error(429, "slow down", (("retry-after-ms", "1500"),)), error(503, "overloaded"), Answer.json(completion("ok")))
    llm = Retry(max_attempts=3, initial_delay=0.25, jitter=False, clock=clock)(LLMPrimitive(model))
    response = await compile(llm).run(ChatRequest.of("hi"))
    assert response.text == "ok" and len(server.received) == 3
    assert clock.sleeps == [1.5, 0.5]  # the hint, then our own backoff


def test_assistant_messages_without_text_send_null_content() -> None:
    from tta_dev_primitives.stdlib.llm.providers._chat_completions import message

    call = ToolCall("c1", "f", "{}")
    assert message(ChatMessage("assistant", "", (call,)))["content"] is None
    assert json.dumps(message(ChatMessage("tool", "42", tool_call_id="c1"))) == '{"role": "tool", "tool_call_id": "c1", "content": "42"}'


async def test_an_exhausted_quota_is_not_retried_though_it_comes_as_429(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}, status=429))
    with pytest.raises(ModelCallError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert info.value.status == 429 and "quota" in str(info.value)


async def test_an_error_sent_inside_a_stream_is_transient(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.stream([(None, chunk(ChoiceDelta(content="par"))), (None, {"error": {"message": "The server had an error", "type": "server_error"}})]))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="reported an error: The server had an error"):
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["par"]


async def test_a_completion_without_choices_is_a_malformed_response(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json(completion("x").model_copy(update={"choices": []})))
    with pytest.raises(ModelTransientError, match="no choices"):
        await model.complete(ChatRequest.of("hi"))


async def test_a_requests_max_tokens_can_lower_the_models_cap_but_not_raise_it(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json(completion("a")), Answer.json(completion("b")))
    await model.complete(attrs.evolve(ChatRequest.of("hi"), max_tokens=10_000))
    await model.complete(attrs.evolve(ChatRequest.of("hi"), max_tokens=50))
    assert [r.body["max_tokens"] for r in server.received] == [200, 50]


@pytest.mark.parametrize(
    ("name", "reasoning", "sends_temperature", "cap_field"),
    [
        ("gpt-4o-mini", None, True, "max_tokens"),
        ("gpt-5-mini", None, False, "max_completion_tokens"),
        ("o4-mini", None, False, "max_completion_tokens"),
        ("my-local-reasoner", True, False, "max_completion_tokens"),
    ],
)
async def test_reasoning_models_get_no_temperature_and_max_completion_tokens(
    server: ProviderServer, client: Any, name: str, reasoning: bool | None, sends_temperature: bool, cap_field: str
) -> None:
    server.add(Answer.json(completion("ok")))
    await OpenAIChatModel(client, name, max_tokens=100, reasoning=reasoning).complete(ChatRequest.of("hi", temperature=0.3, top_p=0.9, seed=7))
    body = server.received[0].body
    assert ("temperature" in body) is sends_temperature and ("top_p" in body) is sends_temperature and body[cap_field] == 100
    assert body["seed"] == 7


def test_chat_model_reads_only_its_own_flags_and_takes_no_abbreviations() -> None:
    from tta_dev_primitives import FakeChatModel, chat_model

    fake = FakeChatModel()
    assert chat_model(fake, ["--mode", "fast", "--base", "2", "--verbose"]) is fake
    picked = chat_model(fake, ["--base-url", "http://127.0.0.1:9/v1", "--model", "qwen2.5", "--mode", "fast"])
    assert isinstance(picked, OpenAIChatModel) and picked.model == "qwen2.5" and str(picked.client.base_url) == "http://127.0.0.1:9/v1/"


def test_a_script_adds_the_model_options_to_its_own_parser_and_takes_its_model_from_the_result() -> None:
    import argparse

    from tta_dev_primitives import FakeChatModel
    from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

    fake = FakeChatModel()
    parser = model_arguments(argparse.ArgumentParser(prog="script.py"))
    assert chat_model_from(parser.parse_args([]), fake) is fake
    picked = chat_model_from(parser.parse_args(["--base-url", "http://127.0.0.1:9/v1", "--model", "qwen2.5"]), fake)
    assert isinstance(picked, OpenAIChatModel) and picked.model == "qwen2.5"
    with pytest.raises(SystemExit) as caught:  # a mistyped option is an error, not the fake model
        parser.parse_args(["--baseurl", "http://127.0.0.1:9/v1"])
    assert caught.value.code == 2


def test_a_script_asking_for_a_model_whose_sdk_is_missing_exits_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse
    import sys

    from tta_dev_primitives import FakeChatModel
    from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

    monkeypatch.setitem(sys.modules, "openai", None)  # type: ignore[arg-type]
    args = model_arguments(argparse.ArgumentParser()).parse_args(["--base-url", "http://127.0.0.1:9/v1"])
    with pytest.raises(SystemExit) as caught:
        chat_model_from(args, FakeChatModel())
    assert caught.value.code == "an OpenAI-compatible model (--provider openai, --base-url) needs openai: pip install 'tta-dev-primitives[openai]'"


async def test_malformed_tool_arguments_are_not_replayed_to_the_server(server: ProviderServer, model: OpenAIChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return city

    server.add(Answer.json(completion(None, calls=(("call_1", "weather", '{"input": "Os'),))), Answer.json(completion("done")))
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("?") == "done"
    replayed = server.received[1].body["messages"][-2]["tool_calls"][0]["function"]["arguments"]
    assert replayed == "{}"  # valid JSON (vLLM and SGLang refuse the request otherwise)
    assert server.received[1].body["messages"][-1]["content"].startswith("error: weather: invalid arguments")


async def test_a_request_naming_another_model_is_refused(server: ProviderServer, model: OpenAIChatModel) -> None:
    from tta_dev_primitives import ConfigError

    with pytest.raises(ConfigError, match=r"request.model='o3-pro'; expected 'gpt-4o-mini' or None"):
        await model.complete(ChatRequest.of("hi", model="o3-pro"))
    assert server.received == []
    server.add(Answer.json(completion("ok")))
    assert (await model.complete(ChatRequest.of("hi", model="gpt-4o-mini"))).text == "ok"


def test_llm_key_takes_a_chat_request() -> None:
    from tta_dev_primitives import llm_key

    a, b = ChatRequest.of("hi"), ChatRequest.of("hi", system="Be brief.")
    assert llm_key(a) == llm_key(ChatRequest.of("hi")) != llm_key(b)
    assert llm_key(attrs.evolve(a, temperature=0.5)) != llm_key(a)


async def test_an_agents_settings_reach_the_wire_exactly_as_set(server: ProviderServer, model: OpenAIChatModel) -> None:
    server.add(Answer.json(completion("one")), Answer.json(completion("two")))
    settings = {"temperature": 0.7, "top_p": 0.5, "max_tokens": 50, "stop": ["END", "STOP"], "seed": 42}
    assert await compile(agent(model, [], max_turns=2, **settings)).run("hi") == "one"  # type: ignore[call-overload]
    body = server.received[0].body
    assert {k: body[k] for k in settings} == settings
    assert await compile(agent(model, [], max_turns=2, temperature=0.0)).run("hi") == "two"
    body = server.received[1].body
    assert body["temperature"] == 0.0 and body["max_tokens"] == 200  # only what was set (and the client's own cap)
    assert not {"top_p", "seed", "stop"} & set(body)


async def test_the_default_retry_waits_out_a_rate_limit_with_the_providers_hint(server: ProviderServer, model: OpenAIChatModel) -> None:
    from tta_dev_primitives.stdlib.llm import model_retry

    clock = FakeClock(auto_advance=True)
    server.add(error(429, "slow down", headers=(("retry-after", "4"),)), error(503, "busy"), Answer.json(completion("done")))
    plan = compile(agent(model, [], max_turns=1, retry=model_retry(clock=clock, rng=random.Random(1))))
    assert await plan.run("hi") == "done"
    assert len(server.received) == 3
    jitter = random.Random(1)
    jitter.uniform(0, 0.5)  # drawn for the first wait, which the hint then raises to 4 s
    assert clock.sleeps == [4.0, jitter.uniform(0, 1.0)]  # the second: full jitter over the 1 s backoff
