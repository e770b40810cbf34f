"""The chat types' fast paths keep their meaning: `ChatRequest.with_messages` (agents call it
twice a turn) copies every other field as it is, a reply is checked as strictly whatever its
shape, and each model call's usage is reported once, by the client or else by the primitive."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import ChatMessage, ChatRequest, ChatResponse, FakeChatModel, RunContext, ToolCall, agent, compile, tool
from tta_dev_primitives.errors import ChatModelReplyError
from tta_dev_primitives.lowlevel import Hook, NodeInfo
from tta_dev_primitives.observability import configure_tracing
from tta_dev_primitives.stdlib.llm import LLMPrimitive
from tta_dev_primitives.stdlib.llm.model import ToolSpec, checked_reply, reports_own_usage, usage_reports

pytestmark = pytest.mark.anyio


def test_with_messages_copies_every_other_field_as_it_is() -> None:
    request = ChatRequest(
        (ChatMessage("user", "hi"),),
        model="gpt-4o-mini",
        temperature=0.2,
        max_tokens=100,
        tools=(ToolSpec("lookup", "Look a key up.", "{}"),),
        response_format='{"name": "City"}',
        top_p=0.9,
        stop=("END",),
        seed=7,
    )
    conversation = [ChatMessage("user", "hi"), ChatMessage("assistant", "hello")]
    moved = request.with_messages(conversation)  # any iterable, held as a tuple
    assert moved.messages == tuple(conversation) and type(moved.messages) is tuple
    for field in attrs.fields(ChatRequest):  # a field added later and not copied fails here (AttributeError)
        if field.name != "messages":
            assert getattr(moved, field.name) == getattr(request, field.name), field.name
    assert moved == attrs.evolve(request, messages=tuple(conversation)) and hash(moved) == hash(attrs.evolve(request, messages=tuple(conversation)))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        moved.seed = 8  # type: ignore[misc]


class Reply(ChatResponse):
    """A client's own ChatResponse subclass."""


class Text(str):
    """A str subclass, as some SDKs hand text over."""


def test_a_reply_is_checked_as_strictly_whatever_its_class() -> None:
    call = ToolCall("c1", "lookup", "{}")
    for reply in (ChatResponse("hi", "m", 1, 1), ChatResponse("", "m", 1, 1, (call, call)), Reply("hi", "m", 1, 1), ChatResponse(Text("hi"), "m", 1, 1)):
        assert checked_reply("m", reply) is reply
    with pytest.raises(ChatModelReplyError, match="whose tool_calls are ToolCalls"):
        checked_reply("m", ChatResponse("", "m", 1, 1, (call, {"name": "lookup"})))  # type: ignore[arg-type]
    with pytest.raises(ChatModelReplyError, match="a ChatResponse"):
        checked_reply("m", "hi")


class OwnModel:
    """A ChatModel of one's own, which reports no usage itself."""

    model = "own-1"
    provider = "own"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse("done", self.model, 11, 3)

    def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        raise NotImplementedError


class QuietFake(FakeChatModel):
    """A FakeChatModel whose own `complete` reports nothing."""

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse("done", self.model, 5, 1)


@pytest.mark.parametrize("model", [FakeChatModel("fake-small"), OwnModel(), QuietFake("fake-small")], ids=type)
async def test_each_call_is_reported_once_by_the_client_or_else_by_the_primitive(model: FakeChatModel | OwnModel) -> None:
    reports: list[ChatResponse] = []
    token = usage_reports.set(reports)
    try:
        response = await LLMPrimitive(model).complete(ChatRequest.of("hi"))
    finally:
        usage_reports.reset(token)
    assert reports == [response]
    assert reports_own_usage(model) is (type(model) is FakeChatModel)


async def test_a_model_of_ones_own_has_its_usage_on_the_agents_model_call_span() -> None:
    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None

    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    assert await compile(agent(OwnModel(), [tool(lookup)], max_turns=2)).with_hooks(hook).run("go") == "done"
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "own-1"]
    attributes = span.attributes or {}
    assert (attributes["gen_ai.provider.name"], attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == ("own", 11, 3)


async def test_every_run_of_an_agent_starts_from_its_own_prompt_with_the_agents_settings() -> None:
    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    model = FakeChatModel("gpt-4o-mini")
    plan = compile(agent(model, [tool(lookup)], max_turns=2, system="Be brief.", temperature=0.2, stop="END", seed=7))
    assert await plan.run("one") == "[gpt-4o-mini] one" and await plan.run("two") == "[gpt-4o-mini] two"
    first, second = model.requests
    assert [(m.role, m.content) for m in second.messages] == [("system", "Be brief."), ("user", "two")]
    assert first == attrs.evolve(second, messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "one")))
    assert (second.model, second.temperature, second.stop, second.seed, [t.name for t in second.tools]) == ("gpt-4o-mini", 0.2, ("END",), 7, ["lookup"])
    plain = FakeChatModel("gpt-4o-mini")
    await compile(agent(plain, [], max_turns=1)).run("three")
    assert plain.requests[0] == ChatRequest.of("three", model="gpt-4o-mini")  # no system message, no settings


async def test_hooks_hear_of_each_tool_call_with_its_tool_and_id() -> None:
    heard: list[tuple[str, str, str]] = []

    class Listener(Hook):
        def on_tool_call(self, node: NodeInfo, ctx: RunContext, tool: str, call_id: str) -> None:
            heard.append((node.name, tool, call_id))

    async def lookup(key: str) -> str:
        """Look a key up."""
        return key

    model = FakeChatModel("fake-small", script=[ToolCall("c1", "lookup", '{"input": "a"}'), [ToolCall("c2", "lookup", '{"input": "b"}'), ToolCall("c3", "nope", "{}")], "done"])
    assert await compile(agent(model, [tool(lookup)], max_turns=3)).with_hooks(Listener()).run("go") == "done"
    assert sorted(heard) == [("tools(lookup)", "lookup", "c1"), ("tools(lookup)", "lookup", "c2"), ("tools(lookup)", "nope", "c3")]
