"""A model call's span in OpenInference's terms, as LLM instrumentations write it (Phoenix shows
it as a conversation): the messages the call was sent and the reply (`llm.input_messages.*`,
`llm.output_messages.*`, with tool calls and tool results), the settings the request sets
(`llm.invocation_parameters`), the tools it offers (`llm.tools.*`) and why the model stopped
(GenAI's `gen_ai.response.finish_reasons`, and OpenInference's `llm.finish_reason`).

Messages are content: written only when content is recorded, each text (and each tool call's
arguments) masked as logs are (`redact`) and cut at the content limit. Settings, tools and the
finish reason are configuration and are always written.

A span holds a bounded number of attributes (OpenTelemetry's `max_span_attributes`, 128 unless
configured), and a full span drops its oldest ones: its kind and ids. So a long conversation is
written as its leading system messages and its latest messages, as many as fit in `room`
attributes, and says how many it left out (`llm.input_messages_omitted`); tools likewise
(`llm.tools_omitted`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ._content import render_content
from ._views import MessageView, ModelInput, ModelOutput

__all__ = ["FINISH_REASONS", "input_attributes", "output_attributes"]

FINISH_REASONS = "gen_ai.response.finish_reasons"
"""OpenTelemetry GenAI's name for why the model stopped (a list: one reason per choice)."""

def _names() -> tuple[Any, Any, Any, Any]:
    from openinference.semconv.trace import MessageAttributes, SpanAttributes, ToolAttributes, ToolCallAttributes

    return SpanAttributes, MessageAttributes, ToolCallAttributes, ToolAttributes


Attributes = dict[str, str | int | Sequence[str]]

INPUT_MESSAGES_OMITTED = "llm.input_messages_omitted"
TOOLS_OMITTED = "llm.tools_omitted"


def input_attributes(view: ModelInput, content_limit: int | None, room: int = 1_000_000) -> Attributes:
    """The attributes of what a request sends: its settings and tools, and (when
    `content_limit` is given, content being recorded) its messages, each cut at that limit;
    at most about `room` of them (see the module docs)."""
    span, _, _, tool = _names()
    attributes: Attributes = {}
    if view.parameters:
        attributes[span.LLM_INVOCATION_PARAMETERS] = json.dumps(dict(view.parameters), ensure_ascii=False, default=str)
    room -= len(attributes) + 2  # the two counts of what was left out
    tools = view.tools[: max(room // 2 if content_limit is not None else room, 0)]  # messages get the other half
    for i, schema in enumerate(tools):
        attributes[f"{span.LLM_TOOLS}.{i}.{tool.TOOL_JSON_SCHEMA}"] = schema
    if len(tools) < len(view.tools):
        attributes[TOOLS_OMITTED] = len(view.tools) - len(tools)
    if content_limit is not None:
        kept = _latest(view.messages, room - len(tools))
        attributes.update(_messages(span.LLM_INPUT_MESSAGES, kept, content_limit))
        if len(kept) < len(view.messages):
            attributes[INPUT_MESSAGES_OMITTED] = len(view.messages) - len(kept)
    return attributes


def output_attributes(view: ModelOutput, content_limit: int | None, total: int | None = None, room: int = 1_000_000) -> Attributes:
    """The attributes of a reply: why the model stopped, and (content being recorded) its
    messages, as many as fit in `room` attributes. `total` is the whole text's length when the
    reply holds only the first part of it (a stream's text, collected up to the limit)."""
    span = _names()[0]
    attributes: Attributes = {}
    if view.finish_reason is not None:
        attributes[FINISH_REASONS] = (view.finish_reason,)
        name = getattr(span, "LLM_FINISH_REASON", None)  # in openinference-semantic-conventions 0.1.2x and later
        if name is not None:
            attributes[name] = view.finish_reason
    if content_limit is not None:
        kept = view.messages if sum(map(_size, view.messages)) <= room - len(attributes) else ()
        attributes.update(_messages(span.LLM_OUTPUT_MESSAGES, kept, content_limit, total))
    return attributes


def _size(message: MessageView) -> int:
    """How many attributes `message` is written as."""
    return 1 + bool(message.content) + 3 * len(message.tool_calls) + (message.tool_call_id is not None)


def _latest(messages: Sequence[MessageView], room: int) -> list[MessageView]:
    """The leading system messages and the latest of the others that fit in `room` attributes
    (the system prompt says what the model was told; the latest turns, what it answered)."""
    lead = 0
    while lead < len(messages) and messages[lead].role == "system":
        lead += 1
    system = list(messages[:lead])
    room -= sum(map(_size, system))
    latest: list[MessageView] = []
    for message in reversed(messages[lead:]):
        room -= _size(message)
        if room < 0:
            break
        latest.append(message)
    return system + latest[::-1]


def _messages(prefix: str, messages: Sequence[MessageView], limit: int, total: int | None = None) -> Iterator[tuple[str, str]]:
    """`prefix.{i}.message.*` for each message: role, content, tool calls, the call answered."""
    _, message, call, _ = _names()
    for i, each in enumerate(messages):
        at = f"{prefix}.{i}."
        yield at + message.MESSAGE_ROLE, each.role
        if each.content:  # an assistant message that only calls tools has no text
            yield at + message.MESSAGE_CONTENT, render_content(each.content, limit, total)[0]
        for j, tool_call in enumerate(each.tool_calls):
            called = f"{at}{message.MESSAGE_TOOL_CALLS}.{j}."
            yield called + call.TOOL_CALL_ID, tool_call.id
            yield called + call.TOOL_CALL_FUNCTION_NAME, tool_call.name
            yield called + call.TOOL_CALL_FUNCTION_ARGUMENTS_JSON, render_content(tool_call.arguments, limit)[0]
        if each.tool_call_id is not None:
            yield at + message.MESSAGE_TOOL_CALL_ID, each.tool_call_id
