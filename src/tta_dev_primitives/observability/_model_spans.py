"""A model call's span in OpenInference's terms, as LLM instrumentations write it (Phoenix shows
it as a conversation): the messages the call was sent and the reply (`llm.input_messages.*`,
`llm.output_messages.*`, with tool calls and tool results), the settings the request sets
(`llm.invocation_parameters`), the tools it offers (`llm.tools.*`) and why the model stopped
(GenAI's `gen_ai.response.finish_reasons`, and OpenInference's `llm.finish_reason`).

Messages are content: written only when content is recorded, each text (and each tool call's
arguments) masked as logs are (`redact`) and cut at the content limit. Settings, tools and the
finish reason are configuration and are always written.
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

Attributes = dict[str, str | Sequence[str]]


def _names() -> tuple[Any, Any, Any, Any]:
    from openinference.semconv.trace import MessageAttributes, SpanAttributes, ToolAttributes, ToolCallAttributes

    return SpanAttributes, MessageAttributes, ToolCallAttributes, ToolAttributes


def input_attributes(view: ModelInput, content_limit: int | None) -> Attributes:
    """The attributes of what a request sends: its settings and tools, and (when
    `content_limit` is given, content being recorded) its messages, each cut at that limit."""
    span, _, _, tool = _names()
    attributes: Attributes = {}
    if view.parameters:
        attributes[span.LLM_INVOCATION_PARAMETERS] = json.dumps(dict(view.parameters), ensure_ascii=False, default=str)
    for i, schema in enumerate(view.tools):
        attributes[f"{span.LLM_TOOLS}.{i}.{tool.TOOL_JSON_SCHEMA}"] = schema
    if content_limit is not None:
        attributes.update(_messages(span.LLM_INPUT_MESSAGES, view.messages, content_limit))
    return attributes


def output_attributes(view: ModelOutput, content_limit: int | None, total: int | None = None) -> Attributes:
    """The attributes of a reply: why the model stopped, and (content being recorded) its
    messages. `total` is the whole text's length when the reply holds only the first part of
    it (a stream's text, collected up to the limit)."""
    span = _names()[0]
    attributes: Attributes = {}
    if view.finish_reason is not None:
        attributes[FINISH_REASONS] = (view.finish_reason,)
        name = getattr(span, "LLM_FINISH_REASON", None)  # in openinference-semantic-conventions 0.1.2x and later
        if name is not None:
            attributes[name] = view.finish_reason
    if content_limit is not None:
        attributes.update(_messages(span.LLM_OUTPUT_MESSAGES, view.messages, content_limit, total))
    return attributes


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
