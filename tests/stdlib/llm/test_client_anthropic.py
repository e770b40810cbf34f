"""AnthropicChatModel: the real `anthropic` SDK against a loopback server speaking Anthropic's
wire format (messages and stream events built from the SDK's own types)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

anthropic = pytest.importorskip("anthropic")

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.fixtures.provider_wires.anthropic_wire import message, stream_events, text, use  # noqa: E402
from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, ToolCall, agent, compile, structured, tool  # noqa: E402
from tta_dev_primitives.stdlib.llm.providers import AnthropicChatModel, ModelCallError, ModelTransientError  # noqa: E402

pytestmark = pytest.mark.anyio
KEY = "sk-ant-test-very-secret-0123456789"


@pytest.fixture
async def client(server: ProviderServer) -> AsyncIterator[Any]:
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=server.base_url) as sdk_client:
        yield sdk_client


@pytest.fixture
def model(client: Any) -> AnthropicChatModel:
    return AnthropicChatModel(client, "claude-haiku-4-5", max_tokens=300)


def error(status: int, message_: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer.json({"type": "error", "error": {"type": "api_error", "message": message_}}, status=status, headers=headers)


async def test_complete_sends_system_apart_and_reads_text_and_usage(server: ProviderServer, model: AnthropicChatModel) -> None:
    server.add(Answer.json(message(text("Paris."))))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert response == ChatResponse("Paris.", "claude-haiku-4-5-20251001", 20, 4, finish_reason="stop")
    sent = server.received[0]
    assert sent.path == "/v1/messages" and KEY in sent.headers.get("x-api-key", sent.headers.get("authorization", ""))
    assert sent.body["system"] == "Be brief." and sent.body["max_tokens"] == 300
    assert sent.body["messages"] == [{"role": "user", "content": "Capital of France?"}]


async def test_tool_use_round_trip_with_results_in_one_user_turn(server: ProviderServer, model: AnthropicChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    server.add(
        Answer.json(message(text("Checking."), use("tu_1", "weather", {"input": "Oslo"}), use("tu_2", "weather", {"input": "Rome"}))),
        Answer.json(message(text("Sunny in both."))),
    )
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Oslo and Rome?") == "Sunny in both."
    first, second = (r.body for r in server.received)
    assert first["tools"] == [{"name": "weather", "description": "Weather for a city.", "input_schema": tool(weather).definition()["parameters"]}]
    assert "tool_choice" not in first
    assert second["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "tu_1", "name": "weather", "input": {"input": "Oslo"}},
            {"type": "tool_use", "id": "tu_2", "name": "weather", "input": {"input": "Rome"}},
        ],
    }
    assert second["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "tu_1", "content": "sunny in Oslo"},
            {"type": "tool_result", "tool_use_id": "tu_2", "content": "sunny in Rome"},
        ],
    }


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_structured_output_forces_a_tool_call_whose_input_is_the_reply(server: ProviderServer, model: AnthropicChatModel) -> None:
    server.add(Answer.json(message(use("tu_9", "Invoice", {"number": "A-1", "total": 9.5}))))
    invoice = await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50"))
    assert invoice == Invoice("A-1", 9.5)
    sent = server.received[0].body
    assert sent["tool_choice"] == {"type": "tool", "name": "Invoice"}
    assert sent["tools"][0]["name"] == "Invoice" and sent["tools"][0]["input_schema"]["required"] == ["number", "total"]


async def test_a_typed_agent_may_call_tools_before_answering_through_the_answer_tool(server: ProviderServer, model: AnthropicChatModel) -> None:
    async def lookup(number: str) -> str:
        """Look an invoice up."""
        return "total 9.5"

    server.add(
        Answer.json(message(use("tu_1", "lookup", {"input": "A-1"}))),
        Answer.json(message(use("tu_2", "Invoice", {"number": "A-1", "total": 9.5}))),
    )
    result = await compile(agent(model, [tool(lookup)], max_turns=3, output=Invoice)).run("Invoice A-1?")
    assert result == Invoice("A-1", 9.5)
    assert server.received[0].body["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in server.received[0].body["tools"]] == ["lookup", "Invoice"]


def test_conversation_shape() -> None:
    from tta_dev_primitives.stdlib.llm.providers._anthropic_chat import _conversation

    system, turns = _conversation(
        (
            ChatMessage("system", "a"),
            ChatMessage("system", "b"),
            ChatMessage("user", "q"),
            ChatMessage("assistant", "", (ToolCall("t1", "f", "not json"),)),
            ChatMessage("tool", "r", tool_call_id="t1"),
            ChatMessage("user", "again"),
        )
    )
    assert system == "a\n\nb"
    assert turns[1] == {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}
    assert turns[2:] == [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]}, {"role": "user", "content": "again"}]


async def test_an_overload_reported_inside_a_stream_is_transient(server: ProviderServer, model: AnthropicChatModel) -> None:
    answer = stream_events(["one ", "two"], stop=False)
    frames = (*answer.events[:3], ("error", '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'))  # type: ignore[index]
    server.add(attrs.evolve(answer, events=frames))
    received: list[str] = []
    with pytest.raises(ModelTransientError) as info:
        async for piece in model.stream(ChatRequest.of("count")):
            received.append(piece)
    assert received == ["one "] and "Overloaded" in str(info.value)


async def test_our_own_configuration_errors_are_not_taken_for_provider_failures(server: ProviderServer, model: AnthropicChatModel) -> None:
    from tta_dev_primitives import ConfigError

    async def Invoice(number: str) -> str:  # noqa: N802 - a tool named like the output type
        """Look an invoice up."""
        return number

    request = attrs.evolve(ChatRequest.of("hi"), tools=(tool(Invoice).spec(),), response_format='{"name": "Invoice", "schema": {"type": "object"}}')
    with pytest.raises(ConfigError, match="a name other than the tools'"):
        await model.complete(request)
    assert server.received == []


async def test_long_reply_caps_are_fetched_as_a_stream_and_assembled(server: ProviderServer, client: Any) -> None:
    model = AnthropicChatModel(client, "claude-sonnet-4-6", max_tokens=64_000)  # the SDK refuses this unstreamed
    server.add(stream_events(["a long ", "answer"]))
    response = await model.complete(ChatRequest.of("write a lot"))
    assert response.text == "a long answer" and response.output_tokens == 6
    assert server.received[0].body["stream"] is True and server.received[0].body["max_tokens"] == 64_000


def test_chat_model_picks_anthropic_for_a_claude_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from tta_dev_primitives import FakeChatModel, chat_model

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    picked = chat_model(FakeChatModel(), ["--model", "claude-haiku-4-5"])
    assert isinstance(picked, AnthropicChatModel) and picked.model == "claude-haiku-4-5"


async def test_the_answer_tool_beside_other_calls_or_twice_gives_one_answer(server: ProviderServer, model: AnthropicChatModel) -> None:
    async def lookup(number: str) -> str:
        """Look an invoice up."""
        return "total 9.5"

    answer = {"number": "A-1", "total": 9.5}
    server.add(Answer.json(message(use("t1", "lookup", {"input": "A-1"}), use("t2", "Invoice", answer))))
    plan = compile(agent(model, [tool(lookup)], max_turns=1, output=Invoice))
    assert await plan.run("Invoice A-1?") == Invoice("A-1", 9.5)  # answered in the first turn
    server.add(Answer.json(message(use("t3", "Invoice", {"number": "A-0", "total": 1.0}), use("t4", "Invoice", answer))))
    assert await plan.run("Invoice A-1?") == Invoice("A-1", 9.5)  # the last answer, not two glued together


async def test_the_tool_use_system_prompt_counts_against_max_input_tokens(server: ProviderServer, client: Any) -> None:
    model = AnthropicChatModel(client, "claude-haiku-4-5", max_input_tokens=300)
    with pytest.raises(ModelCallError, match="may exceed max_input_tokens=300"):
        await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: A-1, 9.50"))
    assert server.received == []


async def test_a_cut_reply_says_so(server: ProviderServer, model: AnthropicChatModel) -> None:
    server.add(Answer.json(message(text("a long")).model_copy(update={"stop_reason": "max_tokens"})))
    response = await model.complete(ChatRequest.of("write"))
    assert response.truncated and response.finish_reason == "length"


async def test_an_sdk_error_while_opening_a_stream_is_not_taken_for_a_malformed_reply(server: ProviderServer) -> None:
    async with anthropic.AsyncAnthropic(api_key=None, auth_token=None, base_url=server.base_url) as keyless:
        model = AnthropicChatModel(keyless, "claude-sonnet-4-6", max_tokens=64_000)  # streamed
        with pytest.raises(Exception) as info:
            await model.complete(ChatRequest.of("hi"))
    assert not isinstance(info.value, ModelTransientError) and server.received == []


async def test_a_failed_tool_call_goes_back_with_is_error(server: ProviderServer, model: AnthropicChatModel) -> None:
    async def weather(city: str) -> str:
        """Weather for a city."""
        if city == "Atlantis":
            raise LookupError("no such city")
        return f"sunny in {city}"

    server.add(
        Answer.json(message(use("tu_1", "weather", {"input": "Atlantis"}), use("tu_2", "weather", {"input": "Rome"}), use("tu_3", "nope", {}))),
        Answer.json(message(text("Rome is sunny; Atlantis is unknown."))),
    )
    await compile(agent(model, [tool(weather)], max_turns=3)).run("Atlantis and Rome?")
    results = server.received[1].body["messages"][2]["content"]
    assert [(r["tool_use_id"], r.get("is_error")) for r in results] == [("tu_1", True), ("tu_2", None), ("tu_3", True)]
    assert results[0]["content"].startswith("error: ") and results[1]["content"] == "sunny in Rome"


async def test_settings_reach_the_wire_only_when_set(server: ProviderServer, model: AnthropicChatModel) -> None:
    server.add(Answer.json(message(text("one"))), Answer.json(message(text("two"))))
    assert await compile(agent(model, [], max_turns=1, temperature=0.2, top_p=0.9, max_tokens=64, stop=["END"])).run("hi") == "one"
    body = server.received[0].body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop_sequences"]) == (0.2, 0.9, 64, ["END"])
    assert await compile(agent(model, [], max_turns=1)).run("hi") == "two"
    body = server.received[1].body
    assert body["max_tokens"] == 300  # required by Anthropic: the client's cap
    assert not {"temperature", "top_p", "stop_sequences", "seed"} & set(body)


async def test_a_seed_is_refused_before_the_call(server: ProviderServer, model: AnthropicChatModel) -> None:
    from tta_dev_primitives.errors import ConfigError

    with pytest.raises(ConfigError, match=r"request\.seed.*Anthropic's API has no seed"):
        await model.complete(ChatRequest.of("hi", seed=1))
    assert server.received == []
