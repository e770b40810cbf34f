"""How chat requests and replies read on a model call's span (registered with observability,
which cannot import these types): a request as its conversation, the settings it sets and the
tools it offers; a reply as the assistant message and why the model stopped."""

from __future__ import annotations

import functools
import json

from ...observability._views import ModelInput, ModelOutput, register_model_view
from ._ask import request_settings
from .model import ChatRequest, ChatResponse, ToolSpec

__all__ = ["request_view", "response_view", "tool_schema"]


def request_view(request: ChatRequest) -> ModelInput:
    """The conversation, the settings the request sets (unset ones left out) and its tools."""
    parameters: dict[str, object] = {"model": request.model} if request.model is not None else {}
    parameters.update(request_settings(request))
    if request.response_format is not None:
        parameters["response_format"] = _json_or_text(request.response_format)
    return ModelInput(request.messages, parameters, tuple(tool_schema(spec) for spec in request.tools))


def response_view(response: ChatResponse) -> ModelOutput:
    """The reply as the assistant message it adds to the conversation, and its finish reason."""
    return ModelOutput((response.message(),), response.finish_reason)


@functools.lru_cache(maxsize=256)
def tool_schema(spec: ToolSpec) -> str:
    """`spec` as JSON text in OpenAI's function-tool shape, as LLM instrumentations record a
    tool (cached: an agent sends the same tools every turn)."""
    function = {"name": spec.name, "description": spec.description, "parameters": _json_or_text(spec.parameters)}
    return json.dumps({"type": "function", "function": function}, ensure_ascii=False)


def _json_or_text(text: str) -> object:
    """`text` decoded if it is JSON (a schema, a response format), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


register_model_view(ChatRequest, request_view)
register_model_view(ChatResponse, response_view)
