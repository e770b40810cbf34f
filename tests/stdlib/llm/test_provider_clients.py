"""Every provider client, one suite: the same behaviour checked on each provider's official SDK
talking to a loopback server that answers in that provider's wire format (tests/fixtures/
provider_wires: one `Wire` per provider). What one provider puts on the wire is tested in its
own test_client_<provider>.py."""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import logging
import random
import traceback
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

from tests.fixtures.provider_server import ProviderServer
from tests.fixtures.provider_wires import KEY, WIRES, Wire, wire_named
from tests.fixtures.shared_server import anyio_backend, server, shared_server  # noqa: F401 - fixtures
from tta_dev_primitives import ChatRequest, ChatResponse, FakeChatModel, agent, chat_model, compile, structured, tool
from tta_dev_primitives.stdlib.llm import LLMPrimitive, model_retry
from tta_dev_primitives.stdlib.llm.providers import ModelCallError, ModelTransientError
from tta_dev_primitives.errors import ConfigError
from tta_dev_primitives.extras import EXTRAS
from tta_dev_primitives.stdlib.llm.providers._base import ProviderChatModel, input_bound
from tta_dev_primitives.stdlib.llm.providers.select import PROVIDERS, chat_model_from, model_arguments
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


def _installed(name: str) -> bool:
    module = WIRES[name].partition(":")[0]
    try:
        wire_named(name)
    except ImportError:
        return False
    return importlib.util.find_spec(module) is not None


# The SDK clients are built once per wire and backend, not once per test (see
# tests/fixtures/shared_server.py): the backend and the wire are module-scoped here (pytest runs
# the tests grouped by them), and the tests share one loopback server, reset before each test.


@pytest.fixture(scope="module", params=sorted(WIRES))
def wire(request: pytest.FixtureRequest) -> Wire:
    name = str(request.param)
    if not _installed(name):
        pytest.skip(f"the SDK behind the {name} wire is not installed")
    return wire_named(name)


@pytest.fixture(scope="module")
async def sdk_client(wire: Wire, shared_server: ProviderServer, anyio_backend: str) -> AsyncIterator[Any]:
    """The provider's SDK client for the loopback server, shared by the wire's tests on one
    backend (they run on one event loop, which closes it)."""
    async with wire.client(shared_server.base_url) as client:
        yield client


@pytest.fixture
def model(wire: Wire, sdk_client: Any) -> ProviderChatModel[Any, Any]:
    return wire.chat_model(sdk_client, max_tokens=200)


async def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


@attrs.frozen
class Invoice:
    number: str
    total: float


async def test_a_reply_brings_its_text_usage_and_finish_reason(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.reply("Paris.", usage=(12, 3)))
    response = await model.complete(ChatRequest.of("Capital of France?", system="Be brief."))
    assert (response.text, response.input_tokens, response.output_tokens) == ("Paris.", 12, 3)
    assert response.finish_reason == "stop" and response.tool_calls == ()
    assert len(server.received) == 1
    sent = wire.sent_text(server.received[0])
    assert "Be brief." in sent and "Capital of France?" in sent
    assert KEY not in repr(model) and model.model in repr(model)


async def test_a_reply_cut_at_its_cap_or_refused_says_why_it_ended(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.reply("The answer is", finish="length"))
    assert (await model.complete(ChatRequest.of("long?"))).finish_reason == "length"
    if wire.filters_content:
        server.add(wire.reply("I can't help with that.", finish="content_filter"))
        refused = await model.complete(ChatRequest.of("forbidden?"))
        assert refused.finish_reason == "content_filter"


async def test_tools_round_trip_through_an_agent(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.calls(("call_1", "weather", '{"input": "Oslo"}')), wire.reply("It is sunny in Oslo."))
    assert await compile(agent(model, [tool(weather)], max_turns=3)).run("Weather in Oslo?") == "It is sunny in Oslo."
    assert len(server.received) == 2
    assert wire.tool_results(server.received[1]) == ["sunny in Oslo"]
    assert "Weather in Oslo?" in wire.sent_text(server.received[1])  # the conversation goes back whole


async def test_structured_output_is_validated_and_asked_again(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.answer('{"number": "A-1", "total": "oops"}', "Invoice"), wire.answer('{"number": "A-1", "total": 9.5}', "Invoice"))
    invoice = await compile(structured(model, Invoice)).run(ChatRequest.of("Extract: invoice A-1, total 9.50"))
    assert invoice == Invoice("A-1", 9.5)
    assert "Expected `float`" in wire.sent_text(server.received[1])  # the re-ask carries the error


async def test_an_agent_calls_its_tools_then_answers_in_its_output_type(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    async def lookup(number: str) -> str:
        """The total of an invoice."""
        return "9.50"

    server.add(wire.calls(("call_1", "lookup", '{"input": "A-1"}')), wire.answer('{"number": "A-1", "total": 9.5}', "Invoice"))
    invoice = await compile(agent(model, [tool(lookup)], output=Invoice, max_turns=3)).run("What is invoice A-1's total?")
    assert invoice == Invoice("A-1", 9.5)
    assert wire.tool_results(server.received[1]) == ["9.50"]


async def test_a_stream_yields_text_then_reports_the_assembled_reply(wire: Wire, server: ProviderServer, sdk_client: Any) -> None:
    seen: list[ChatResponse] = []
    model = wire.chat_model(sdk_client, on_response=seen.append)
    server.add(wire.stream(["Hel", "lo"], usage=(5, 2)))
    assert [piece async for piece in model.stream(ChatRequest.of("hi"))] == ["Hel", "lo"]
    [reply] = seen
    assert (reply.text, reply.input_tokens, reply.output_tokens, reply.finish_reason) == ("Hello", 5, 2, "stop")


async def test_a_stream_assembles_tool_calls(wire: Wire, server: ProviderServer, sdk_client: Any) -> None:
    seen: list[ChatResponse] = []
    model = wire.chat_model(sdk_client, on_response=seen.append)
    server.add(wire.stream([], calls=[("call_9", "weather", '{"input": "Oslo"}'), ("call_10", "weather", '{"input": "Rome"}')]))
    assert [piece async for piece in model.stream(ChatRequest.of("weather?"))] == []
    [reply] = seen
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("weather", {"input": "Oslo"}), ("weather", {"input": "Rome"})]
    ids = [c.id for c in reply.tool_calls]
    assert len(set(ids)) == 2 and all(ids)  # distinct ids, made on our side where the provider has none
    if wire.calls_have_ids:
        assert ids == ["call_9", "call_10"]
    assert reply.finish_reason == "tool_calls"


async def test_a_rate_limit_is_transient_with_the_providers_hint_and_no_sdk_retry(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.error(429, "Rate limit reached", retry_after="7"))
    with pytest.raises(ModelTransientError) as info:
        await model.complete(ChatRequest.of("hi"))
    assert (info.value.status, info.value.provider, info.value.model) == (429, model.provider, model.model)
    assert info.value.retry_after == (7.0 if wire.hints_retry_after else None)
    assert len(server.received) == 1  # the SDK did not retry on its own: our Retry owns the policy


async def test_server_errors_are_transient(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    for status in wire.transient_statuses:
        server.add(wire.error(status, "upstream trouble"))
        with pytest.raises(ModelTransientError) as info:
            await model.complete(ChatRequest.of("hi"))
        assert info.value.status == status, status
    assert len(server.received) == len(wire.transient_statuses)


async def test_refusals_are_permanent_and_never_show_the_key(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    for status in wire.refusal_statuses:
        server.add(wire.error(status, f"Incorrect API key provided: {KEY}"))
        with pytest.raises(ModelCallError) as info:
            await model.complete(ChatRequest.of("hi"))
        assert not isinstance(info.value, ModelTransientError) and info.value.status == status
        assert KEY not in str(info.value) and "[redacted]" in str(info.value)
        assert info.value.__cause__ is None and info.value.__context__ is None  # the SDK's error holds the request's headers
        assert KEY not in "".join(traceback.format_exception(info.value))


async def test_a_body_that_is_no_reply_is_a_malformed_response(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    for answer in (wire.malformed(), wire.html(), wire.wrong_shape()):
        server.add(answer)
        with pytest.raises(ModelTransientError, match="malformed response"):
            await model.complete(ChatRequest.of("hi"))


async def test_a_stream_cut_mid_way_raises_after_the_text_received(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.stream(["one ", "two ", "three"], cut=2))
    received: list[str] = []
    with pytest.raises(ModelTransientError):
        async for piece in model.stream(ChatRequest.of("count")):
            received.append(piece)
    assert received == ["one ", "two "]


async def test_a_stream_without_its_end_is_incomplete(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    server.add(wire.stream(["partial"], end=False))
    received: list[str] = []
    with pytest.raises(ModelTransientError, match="ended before the reply was complete"):
        async for piece in model.stream(ChatRequest.of("hi")):
            received.append(piece)
    assert received == ["partial"]


async def test_an_unreachable_server_is_transient(wire: Wire) -> None:
    async with wire.client(wire.unreachable_url()) as client:
        with pytest.raises(ModelTransientError) as info:
            await wire.chat_model(client).complete(ChatRequest.of("hi"))
    assert info.value.status is None and KEY not in str(info.value)


async def test_max_input_tokens_is_checked_before_anything_is_sent(wire: Wire, server: ProviderServer, sdk_client: Any) -> None:
    model = wire.chat_model(sdk_client, max_input_tokens=200)
    long_request = ChatRequest.of("word " * 100)
    assert input_bound(long_request) > 200
    with pytest.raises(ModelCallError, match="may exceed max_input_tokens=200"):
        await model.complete(long_request)
    with pytest.raises(ModelCallError, match="may exceed max_input_tokens=200"):
        [piece async for piece in model.stream(long_request)]
    assert server.received == []  # nothing sent, nothing spent
    server.add(wire.reply("short"))
    assert (await model.complete(ChatRequest.of("a short question"))).text == "short"


async def test_usage_reaches_the_model_span_and_the_key_no_span_or_log(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tta_dev_primitives import configure_logging, configure_tracing, get_logger

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    stream = io.StringIO()
    handler = configure_logging("INFO", format="json", stream=stream, logger="tests.keys")
    try:
        server.add(wire.reply("fine", usage=(21, 4)), wire.error(401, f"Incorrect API key provided: {KEY}"))
        plan = compile(LLMPrimitive(model)).with_hooks(hook)
        await plan.run(ChatRequest.of("hi"))
        with pytest.raises(ModelCallError) as info:
            await plan.run(ChatRequest.of("hi"))
        get_logger("tests.keys").exception("model call failed", error=info.value)
    finally:
        logging.getLogger("tests.keys").removeHandler(handler)
    spans = exporter.get_finished_spans()
    attributes = [dict(s.attributes or {}) for s in spans]
    assert any(a.get("gen_ai.usage.input_tokens") == 21 and a.get("gen_ai.usage.output_tokens") == 4 for a in attributes)
    recorded = json.dumps([{"attributes": dict(s.attributes or {}), "events": [dict(e.attributes or {}) for e in s.events]} for s in spans], default=str)
    assert "[redacted]" in recorded and KEY not in recorded
    assert KEY not in stream.getvalue() and "[redacted]" in stream.getvalue()


async def test_the_default_retry_waits_out_a_rate_limit(wire: Wire, server: ProviderServer, model: ProviderChatModel[Any, Any]) -> None:
    clock = FakeClock(auto_advance=True)
    server.add(wire.error(429, "slow down", retry_after="4"), wire.reply("done"))
    plan = compile(agent(model, [], max_turns=1, retry=model_retry(clock=clock, rng=random.Random(1))))
    assert await plan.run("hi") == "done"
    assert len(server.received) == 2 and len(clock.sleeps) == 1
    if wire.hints_retry_after:
        assert clock.sleeps == [4.0]  # the provider's hint over our jittered backoff


async def test_the_command_line_names_the_provider(wire: Wire, server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in wire.key_variables:
        monkeypatch.setenv(variable, KEY)
    for variable, value in wire.environment.items():
        monkeypatch.setenv(variable, value)
    picked = chat_model(FakeChatModel(), ["--provider", wire.name, "--base-url", wire.command_line_url(server.base_url), "--model", wire.model_name])
    assert isinstance(picked, ProviderChatModel) and picked.model == wire.model_name and picked.max_tokens == 1024
    server.add(wire.reply("from the command line"))
    try:
        assert (await picked.complete(ChatRequest.of("hi"))).text == "from the command line"
    finally:
        await wire.close_model(picked)


@pytest.mark.parametrize("name", sorted(n for n, p in PROVIDERS.items() if p.keys))
def test_a_command_line_without_the_providers_key_names_the_variable(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Else the SDK fails in its own words (a bare ValueError, a TypeError at the first call) or
    every call goes out without a key, to a 401."""
    pytest.importorskip(EXTRAS[PROVIDERS[name].extra][0])
    for variable in PROVIDERS[name].keys:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError, match=" or ".join(PROVIDERS[name].keys)):
        chat_model(FakeChatModel(), ["--provider", name])
    with pytest.raises(SystemExit) as stopped:  # a script's own parser: one line, no traceback
        chat_model_from(model_arguments(argparse.ArgumentParser()).parse_args(["--provider", name]), FakeChatModel())
    assert str(stopped.value.code).endswith("expected a key in " + " or ".join(PROVIDERS[name].keys))
    monkeypatch.setenv(PROVIDERS[name].keys[-1], KEY)  # any one of them will do
    assert isinstance(chat_model(FakeChatModel(), ["--provider", name]), ProviderChatModel)
    monkeypatch.delenv(PROVIDERS[name].keys[-1])
    picked = chat_model(FakeChatModel(), ["--provider", name, "--base-url", "http://127.0.0.1:9"])  # a server of one's own may need none
    assert isinstance(picked, ProviderChatModel)
