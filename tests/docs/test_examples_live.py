"""The examples against a real endpoint (`--base-url URL --model NAME`, `--provider anthropic`),
each run as a script: the real SDKs talk to a loopback server that answers in the providers'
wire format."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("openai")
pytest.importorskip("anthropic")

from anthropic.types import Message, TextBlock, ToolUseBlock, Usage  # noqa: E402
from openai.types.chat import ChatCompletion  # noqa: E402
from openai.types.chat.chat_completion import Choice  # noqa: E402
from openai.types.chat.chat_completion_message import ChatCompletionMessage  # noqa: E402
from openai.types.chat.chat_completion_message_function_tool_call import ChatCompletionMessageFunctionToolCall, Function  # noqa: E402
from openai.types.completion_usage import CompletionUsage  # noqa: E402

from tests.fixtures.provider_server import Answer, ProviderServer  # noqa: E402
from tests.docs.test_examples import EXAMPLES  # noqa: E402

INVOICE = '{"number": "INV-2041", "currency": "EUR", "items": [{"description": "compute node", "quantity": 3, "unit_price": 120.0}]}'
ADVICE = '{"city": "Oslo", "pack_umbrella": false, "budget_nok": 3450.0, "summary": "Dry."}'


def completion(text: str | None, calls: tuple[tuple[str, str, str], ...] = ()) -> Answer:
    tool_calls = [ChatCompletionMessageFunctionToolCall(id=i, type="function", function=Function(name=n, arguments=a)) for i, n, a in calls]
    message = ChatCompletionMessage(role="assistant", content=text, tool_calls=tool_calls or None)
    return Answer.json(
        ChatCompletion(
            id="c",
            object="chat.completion",
            created=1,
            model="gpt-4o-mini-2024-07-18",
            choices=[Choice(index=0, finish_reason="tool_calls" if calls else "stop", message=message)],
            usage=CompletionUsage(prompt_tokens=100, completion_tokens=20, total_tokens=120),
        )
    )


def run_example(name: str, argv: list[str]) -> str:
    """The example run as a script, on the command line's model: its stdout."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *argv], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_structured_extraction_on_an_openai_compatible_server(server: ProviderServer) -> None:
    server.add(completion(INVOICE))
    out = run_example("structured_extraction", ["--base-url", server.base_url + "/v1", "--model", "gpt-4o-mini"])
    assert "total 360.00 EUR" in out and "cost $0.000027" in out  # 100 in + 20 out at gpt-4o-mini's price
    assert server.received[0].body["model"] == "gpt-4o-mini" and "response_format" in server.received[0].body


def test_the_agent_example_on_an_openai_compatible_server(server: ProviderServer) -> None:
    server.add(completion(None, (("c1", "population", '{"input": "Oslo"}'),)), completion(ADVICE))
    out = run_example("agent_tools", ["--base-url", server.base_url + "/v1", "--model", "gpt-4o-mini"])
    assert "pack_umbrella=False" in out and "tool      709000" in out
    assert [t["function"]["name"] for t in server.received[0].body["tools"]] == ["weather", "population", "to_nok"]


def test_the_agent_example_on_anthropic(server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def message(*blocks: TextBlock | ToolUseBlock) -> Answer:
        usage = Usage(input_tokens=50, output_tokens=10)
        return Answer.json(Message(id="m", type="message", role="assistant", model="claude-haiku-4-5-20251001", content=list(blocks), stop_reason="tool_use", stop_sequence=None, usage=usage))

    server.add(
        message(ToolUseBlock(type="tool_use", id="t1", name="population", input={"input": "Oslo"})),
        message(ToolUseBlock(type="tool_use", id="t2", name="TripAdvice", input={"city": "Oslo", "pack_umbrella": True, "budget_nok": 1.0, "summary": "Wet."})),
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    out = run_example("agent_tools", ["--provider", "anthropic", "--base-url", server.base_url])
    assert "summary='Wet.'" in out and "cost: claude-haiku-4-5-20251001 calls=2" in out
    assert server.received[0].body["model"] == "claude-haiku-4-5" and server.received[0].body["tool_choice"] == {"type": "any"}


def test_streaming_example_on_an_openai_compatible_server(server: ProviderServer) -> None:
    from openai.types.chat import ChatCompletionChunk
    from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
    from openai.types.chat.chat_completion_chunk import ChoiceDelta

    def chunk(text: str | None, finish: str | None = None) -> ChatCompletionChunk:
        choice = ChunkChoice(index=0, delta=ChoiceDelta(content=text), finish_reason=finish)  # type: ignore[arg-type]
        return ChatCompletionChunk(id="c", object="chat.completion.chunk", created=1, model="m", choices=[choice])

    words = ["One ", "sentence. ", "Two ", "sentences."]
    server.add(Answer.stream([*[(None, chunk(w)) for w in words], (None, chunk(None, "stop")), (None, "[DONE]")]))
    assert "2 sentences" in run_example("streaming_workflow", ["--base-url", server.base_url + "/v1", "--model", "m"])
