"""`OllamaChatModel`: a ChatModel over the official `ollama` SDK (extra `ollama`).

Talks to Ollama's native API (`/api/chat`) on a local server (no key) or on a server behind a
proxy or Ollama's hosted API (an `Authorization` header the SDK's client carries, e.g. from
`OLLAMA_API_KEY`): this class never logs or repeats that header.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ....errors import ConfigError
from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolSpec
from ._base import SHAPE_ERRORS, Decoded, EventStream, ProviderChatModel, StreamAssembler, arguments_object
from ._streams import GeneratorEvents
from ._errors import http_errors, malformed_failure, status_failure, stream_error_failure, transport_failure

if TYPE_CHECKING:
    import ollama

__all__ = ["OllamaChatModel", "from_options"]

FINISH_REASONS = {"stop": "stop", "length": "length"}
"""Ollama's `done_reason` in OpenAI's words; `stop` with tool calls is `tool_calls` (Ollama says
`stop` either way); others (`load`, `unload`) pass as they are."""

PULL_HINT = "pull it with `ollama pull {model}`, or check that the host is Ollama's own API (no /v1 path)"
"""What a 404 from /api/chat means: the model is not on the server (Ollama's "model ... not
found"), or the client talks to something other than Ollama's native API."""


def call_id(index: int, name: str, arguments: str) -> str:
    """An id for the `index`-th tool call of a reply. Ollama's calls have none (results go back
    by tool name, in order): this one is stable (the same reply gives the same ids, so requests
    replaying it keep their cache keys) and distinct within a reply."""
    digest = hashlib.sha256(f"{name}\0{arguments}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"call_{index}_{digest}"


def _conversation(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The messages in Ollama's shape: assistant tool calls as `tool_calls` with arguments as
    an object; a tool result as a `tool` message naming its tool (`tool_name`), found from the
    call it answers (Ollama matches results to calls by name and order, not by id)."""
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            result: dict[str, Any] = {"role": "tool", "content": message.content}
            name = names.get(message.tool_call_id or "")
            if name is not None:
                result["tool_name"] = name
            out.append(result)
            continue
        turn: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.tool_calls:
            turn["tool_calls"] = [{"function": {"name": c.name, "arguments": arguments_object(c.arguments)}} for c in message.tool_calls]
            names.update((c.id, c.name) for c in message.tool_calls)
        out.append(turn)
    return out


@functools.lru_cache(maxsize=256)
def _tool(spec: ToolSpec) -> ollama.Tool:
    """The SDK's `Tool` for `spec` (OpenAI's function format), validated here, once per spec: a
    schema the SDK's model refuses is our error, raised before the call, not a bad reply. The
    SDK's model (like Ollama's server) keeps a parameter's `type`, `description`, `enum` and
    `items` only: nested objects' properties, `anyOf` and `$ref` do not reach the model."""
    import ollama

    function = {"name": spec.name, "description": spec.description, "parameters": json.loads(spec.parameters)}
    return ollama.Tool.model_validate({"type": "function", "function": function})


def _finish_reason(done_reason: str | None, has_calls: bool) -> str:
    if done_reason is None or done_reason == "stop":
        return "tool_calls" if has_calls else "stop"
    return FINISH_REASONS.get(done_reason, done_reason)


def _calls(raw_calls: Any, start: int) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for i, call in enumerate(raw_calls or (), start):
        arguments = json.dumps(dict(call.function.arguments))
        calls.append(ToolCall(call_id(i, call.function.name, arguments), call.function.name, arguments))
    return calls


class _Parts(StreamAssembler["ollama.ChatResponse"]):
    """Ollama streams NDJSON replies: text pieces, tool calls whole, then `done: true` with the
    reason and the counts."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.calls: list[ToolCall] = []
        self.done = False
        self.done_reason: str | None = None
        self.input_tokens = 0
        self.output_tokens = 0

    def feed(self, event: ollama.ChatResponse) -> str | None:
        self.model = event.model or self.model
        message = event.message
        self.calls += _calls(message.tool_calls, len(self.calls))
        if event.done:
            self.done = True
            self.done_reason = event.done_reason
            self.input_tokens = event.prompt_eval_count or 0
            self.output_tokens = event.eval_count or 0
        if message.content:
            self.text.append(message.content)
            return message.content
        return None

    def finished(self) -> bool:
        return self.done

    def response(self) -> ChatResponse:
        finish = _finish_reason(self.done_reason, bool(self.calls))
        return ChatResponse("".join(self.text), self.model, self.input_tokens, self.output_tokens, tuple(self.calls), finish)


class OllamaChatModel(ProviderChatModel["ollama.ChatResponse", "ollama.ChatResponse"]):
    """A chat model over `ollama.AsyncClient` (Ollama's native `/api/chat`).

    - tools go out in OpenAI's function format (`tools`); tool calls come back with arguments as
      an object. Ollama gives calls no ids: this client makes stable ones (`call_id`), and sends
      each tool result back as a `tool` message with the `tool_name` of the call it answers;
    - `ChatRequest.response_format` goes out as `format` (the JSON Schema itself: Ollama
      constrains the reply to it);
    - the request's settings go out only when set, in `options`: `temperature`, `top_p`,
      `seed`, `stop`, and the reply cap as `num_predict`; `options` given here (e.g.
      `{"num_ctx": 8192}`: Ollama cuts prompts longer than its context window silently) go with
      every call, under the request's own;
    - usage is `prompt_eval_count` / `eval_count`; `done_reason` `stop` is `stop` (`tool_calls`
      when the reply calls tools), `length` is `length`; a stream is complete at `done: true`;
    - HTTP 408/409/429/5xx, an error reported mid-stream, connection errors (the SDK's
      "Failed to connect to Ollama") and malformed bodies raise ModelTransientError, other
      refusals ModelCallError (a 404 says to `ollama pull` the model), with the `Retry-After`
      hint read from the HTTP answer behind the SDK's error (see `_response_headers`);
    - the SDK makes no retries of its own: agents retry model calls by default
      (`model_retry`); elsewhere wrap the model's node in `Retry`.
    """

    provider = "ollama"

    def __init__(
        self,
        client: ollama.AsyncClient,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        options: Mapping[str, object] | None = None,
        keep_alive: float | str | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=_secrets(client))
        if keep_alive is not None and (isinstance(keep_alive, bool) or not isinstance(keep_alive, (int, float, str))):
            # else the SDK refuses it at every call, which would read as a malformed response
            raise ConfigError(repr(self), "keep_alive", 'a duration ("10m"), seconds, or None', keep_alive)
        self.client = client
        self.options = dict(options or {})
        """Ollama options sent with every call (`num_ctx`, `top_k`, ...); a request's settings
        take precedence."""
        self.keep_alive = keep_alive
        """How long the server keeps the model loaded after a call (`"10m"`, seconds, 0 to
        unload); the server's default when None."""

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.model, "messages": _conversation(request.messages)}
        options: dict[str, Any] = dict(self.options)
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.seed is not None:
            options["seed"] = request.seed
        if request.stop:
            options["stop"] = list(request.stop)
        limit = self.reply_cap(request)
        if limit is not None:
            options["num_predict"] = limit
        if options:
            arguments["options"] = options
        if request.tools:
            arguments["tools"] = [_tool(t) for t in request.tools]
        if request.response_format is not None:
            arguments["format"] = json.loads(request.response_format)["schema"]
        if self.keep_alive is not None:
            arguments["keep_alive"] = self.keep_alive
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> Decoded[ollama.ChatResponse]:
        # the SDK decodes the body inside the call: a bad one fails there (see _translated)
        return Decoded(await self.client.chat(**arguments, stream=False))

    async def _open(self, arguments: dict[str, Any]) -> EventStream[ollama.ChatResponse]:
        parts: AsyncIterator[ollama.ChatResponse] = await self.client.chat(**arguments, stream=True)
        return GeneratorEvents(parts)  # closing it ends the SDK's `async with` on the response

    def _read(self, raw: ollama.ChatResponse, request: ChatRequest) -> ChatResponse:
        message = raw.message
        calls = _calls(message.tool_calls, 0)
        finish = _finish_reason(raw.done_reason, bool(calls))
        return ChatResponse(message.content or "", raw.model or self.model, raw.prompt_eval_count or 0, raw.eval_count or 0, tuple(calls), finish)

    def _assembler(self, request: ChatRequest) -> _Parts:
        return _Parts(self.model)

    def _translated(self, error: Exception) -> Exception | None:
        """The SDK's errors in the shared policy: `ResponseError` (its `status_code`, -1 for an
        error line inside a stream), the builtin ConnectionError it raises when nothing listens,
        httpx's transport errors (timeouts, a cut stream), and decoding errors (the SDK decodes
        bodies inside the call: `json.loads`, its pydantic models)."""
        import ollama

        if isinstance(error, ollama.ResponseError):
            status = error.status_code if error.status_code > 0 else None
            if status is None:  # `{"error": ...}` sent after the stream had answered 200
                return stream_error_failure(error.error, provider=self.provider, model=self.model, secrets=self._secrets)
            message = str(error.error)
            if status == 404:
                message += f" ({PULL_HINT.format(model=self.model)})"
            headers = _response_headers(error)
            return status_failure(provider=self.provider, model=self.model, status=status, message=message, headers=headers, secrets=self._secrets)
        if isinstance(error, (ConnectionError, *http_errors("TransportError"))):
            return transport_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        if isinstance(error, UnicodeError):  # text the request cannot carry: ours, not the reply's
            return None
        if isinstance(error, SHAPE_ERRORS):
            return malformed_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        return None


def _response_headers(error: Exception) -> dict[str, str]:
    """The headers of the HTTP answer behind the SDK's `ResponseError` (for `Retry-After`). The
    error carries only the body's text and the status; the SDK raises it `from None` while
    handling httpx's `HTTPStatusError`, which hides that error from tracebacks but keeps it as
    `__context__`, with the response. Empty when it is not there (an error line of a stream)."""
    import httpx

    context = error.__context__
    return dict(context.response.headers) if isinstance(context, httpx.HTTPStatusError) else {}


def _secrets(client: ollama.AsyncClient) -> tuple[str | None, ...]:
    """The `Authorization` header the client sends (Ollama's hosted API, a proxy), whole and its
    token, to mask in errors. The SDK keeps its httpx client's headers on `_client` (no public
    accessor)."""
    headers = getattr(getattr(client, "_client", None), "headers", None)
    value = headers.get("authorization") if headers is not None else None
    if not isinstance(value, str):
        return ()
    token = value.split(" ", 1)[1] if " " in value else value
    return (value, token)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> OllamaChatModel:
    """The client `--provider ollama` names: the server at `base_url`, else the SDK's default
    (`OLLAMA_HOST`, else http://127.0.0.1:11434); a key from `OLLAMA_API_KEY` if set."""
    import ollama

    return OllamaChatModel(ollama.AsyncClient(host=base_url), model, max_tokens=max_tokens)
