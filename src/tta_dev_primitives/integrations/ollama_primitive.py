"""The original `OllamaPrimitive`: Ollama's native chat API, through our `OllamaChatModel`
(extra `ollama`)."""

from __future__ import annotations

from typing import Any

from ..extras import require

require("pydantic", "ollama", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest, ChatResponse  # noqa: E402
from ..stdlib.llm.providers._base import Decoded, ProviderChatModel  # noqa: E402
from ..stdlib.llm.providers._ollama_chat import OllamaChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, sdk, with_sdk  # noqa: E402

__all__ = ["OllamaPrimitive", "OllamaRequest", "OllamaResponse"]


class OllamaRequest(BaseModel):
    """Request model for Ollama primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in Ollama chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    options: dict[str, Any] | None = Field(default=None, description="Additional model options")


class OllamaResponse(BaseModel):
    """Response model for Ollama primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    done: bool = Field(description="Whether generation is complete")
    total_duration: int | None = Field(default=None, description="Total duration in nanoseconds")
    load_duration: int | None = Field(default=None, description="Model load duration in nanoseconds")
    prompt_eval_count: int | None = Field(default=None, description="Number of tokens in prompt")
    eval_count: int | None = Field(default=None, description="Number of tokens generated")


def _get(value: Any, key: str) -> Any:
    """`value[key]` by `get`: the SDK's replies are subscriptable models (`response["message"]`,
    `.get`), as the original read them; a plain mapping reads the same."""
    getter = getattr(value, "get", None)
    return getter(key) if callable(getter) else None


class _Model(OllamaChatModel):
    """`OllamaChatModel` called with the original's arguments (no `stream=`: the SDK's default
    is no stream) and whose reply is read by key, as the SDK's types allow (see `_get`)."""

    async def _send(self, arguments: dict[str, Any]) -> Decoded[Any]:
        return Decoded(await self.client.chat(**arguments))

    def _read(self, raw: Any, request: ChatRequest) -> ChatResponse:
        message = _get(raw, "message")
        if message is None:
            raise ValueError("the reply has no message")  # read as a malformed reply
        content = _get(message, "content")
        done_reason = _get(raw, "done_reason")
        finish = "stop" if done_reason in (None, "stop") else done_reason
        model = _get(raw, "model")
        reply = ChatResponse(
            content if isinstance(content, str) else "",
            model if isinstance(model, str) and model else self.model,
            _get(raw, "prompt_eval_count") or 0,
            _get(raw, "eval_count") or 0,
            (),
            finish if isinstance(finish, str) else None,
        )
        return with_sdk(reply, raw)


class OllamaPrimitive(ChatPrimitive[OllamaRequest, OllamaResponse]):
    """Ollama's chat API as a primitive: `client` is the `ollama.AsyncClient` the calls go to
    (`client.chat`), `model` the default model, `host` the server.

    Our `OllamaChatModel` makes each call (typed errors, a 404 saying to pull the model, usage
    reported). `temperature` goes in `options`, which the request's own `options` override."""

    def __init__(self, model: str = "llama3.2", host: str = "http://localhost:11434", **kwargs: Any) -> None:
        ollama = require("ollama", "ollama", "OllamaPrimitive")
        super().__init__(model)
        self.client = ollama.AsyncClient(host=host, **kwargs)
        self.host = host

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        return _Model(self.client, model)

    async def execute(self, input_data: OllamaRequest, context: WorkflowContext) -> OllamaResponse:
        """One chat reply to `input_data.messages` (with the request's model and options)."""
        model = input_data.model or self.model
        options: dict[str, Any] = {} if input_data.temperature is None else {"temperature": input_data.temperature}
        options.update(input_data.options or {})
        # a client per call: the request's options are the client's, and `client` is read now
        chat = _Model(self.client, model, options=options)
        reply = await chat.complete(ChatRequest(chat_messages("OllamaPrimitive", input_data.messages)))
        raw = sdk(reply)
        done = _get(raw, "done")
        return OllamaResponse(
            content=reply.text,
            model=reply.model,
            done=True if done is None else bool(done),
            total_duration=_get(raw, "total_duration"),
            load_duration=_get(raw, "load_duration"),
            prompt_eval_count=_get(raw, "prompt_eval_count"),
            eval_count=_get(raw, "eval_count"),
        )
