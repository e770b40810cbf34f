"""`MistralChatModel`: a ChatModel over the official `mistralai` SDK (extra `mistral`).

The key comes from the client (`Mistral(api_key=...)`; without one the SDK reads
`MISTRAL_API_KEY`); this class never logs or repeats it.
"""

from __future__ import annotations

import functools
import json
import os
import string
from collections.abc import Callable
from secrets import choice as _secure_choice
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ....executor._shield import running_asyncio
from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import Decoded, EventStream, ProviderChatModel, StreamAssembler, arguments_object
from ._streams import GeneratorEvents, ThreadedEvents
from ._errors import http_errors, malformed_failure, status_failure, stream_error_failure, transport_failure

if TYPE_CHECKING:
    from mistralai.client import Mistral
    from mistralai.client.models import ChatCompletionResponse, CompletionEvent
    from mistralai.client.models import ToolCall as MistralToolCall

__all__ = ["MistralChatModel", "from_options"]

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
}
"""Mistral's finish reasons in OpenAI's words (ChatResponse.finish_reason): `model_length` (the
context window ran out) is a `length` stop; `error` is raised (see `_finish_reason`); others
pass as they are."""

CALL_ID_ALPHABET = string.ascii_letters + string.digits


def _call_id() -> str:
    """A tool call id in Mistral's own form (9 letters or digits), for a call that came without
    one: the tool's result must name the call it answers."""
    return "".join(_secure_choice(CALL_ID_ALPHABET) for _ in range(9))


def _given_id(value: str | None) -> str | None:
    """The call's id, None when the reply had none (the SDK's model fills a missing id with
    the text "null")."""
    return value if value and value != "null" else None


def _arguments_text(arguments: object) -> str:
    """A call's arguments as JSON text: Mistral sends a JSON string, the SDK's model also takes
    an object."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _text(content: object) -> str:
    """The text of a message's content: a string, or the `text` chunks of a chunk list (the
    reasoning models' `thinking` chunks are not the reply)."""
    from mistralai.client.models import TextChunk
    from mistralai.client.types.basemodel import Unset

    if content is None or isinstance(content, Unset):  # a delta without content
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(c.text for c in content if isinstance(c, TextChunk))
    raise TypeError(f"message content of type {type(content).__name__}")


def _calls(tool_calls: object) -> list[MistralToolCall]:
    """A message's tool calls (none when the field is null or was not sent: the SDK's `UNSET`)."""
    return tool_calls if isinstance(tool_calls, list) else []


def _conversation(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The messages in Mistral's chat format: assistant tool calls as `tool_calls` (id, function
    name, arguments as JSON text), tool results as `tool` messages naming their call's id and
    tool (the name taken from the call they answer)."""
    names: dict[str, str] = {}
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            call_id = message.tool_call_id or ""
            turn: dict[str, Any] = {"role": "tool", "tool_call_id": call_id, "content": message.content}
            if call_id in names:
                turn["name"] = names[call_id]
            turns.append(turn)
        elif message.role == "assistant" and message.tool_calls:
            calls = []
            for c in message.tool_calls:
                names[c.id] = c.name
                calls.append({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(arguments_object(c.arguments))}})
            turns.append({"role": "assistant", "content": message.content, "tool_calls": calls})
        else:
            turns.append({"role": message.role, "content": message.content})
    return turns


class _Chunks(StreamAssembler["CompletionEvent"]):
    """Folds `CompletionEvent`s (each holding a `CompletionChunk`) into the reply. Mistral sends
    each tool call whole in one chunk (with its `index`); pieces of one call (as
    OpenAI-compatible servers stream them) are joined by index too."""

    def __init__(self, model: str, provider: str, secrets: tuple[str | None, ...]) -> None:
        self.model = model
        self.provider = provider
        self.secrets = secrets
        self.text: list[str] = []
        self.calls: list[list[str]] = []  # [id, name, arguments] in order of arrival
        self.by_index: dict[int, int] = {}  # a call's index in the stream -> its place in calls
        self.finish: str | None = None
        self.failed = False
        self.input_tokens = 0
        self.output_tokens = 0

    def feed(self, event: CompletionEvent) -> str | None:
        chunk = event.data
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.input_tokens = chunk.usage.prompt_tokens or 0
            self.output_tokens = chunk.usage.completion_tokens or 0
        delta_text: str | None = None
        for choice in chunk.choices[:1]:
            delta = choice.delta
            text = _text(delta.content)
            if text:
                self.text.append(text)
                delta_text = text
            for call in _calls(delta.tool_calls):
                self._add(call)
            if choice.finish_reason == "error":
                self.failed = True  # raised by `finished`, once this event's text is passed on
            elif choice.finish_reason is not None:
                self.finish = _finish_reason(choice.finish_reason, provider=self.provider, model=self.model, secrets=self.secrets)
        return delta_text

    def _add(self, call: MistralToolCall) -> None:
        index = call.index or 0
        given = _given_id(call.id)
        place = self.by_index.get(index)
        if place is None or (given is not None and self.calls[place][0] not in ("", given)):
            self.by_index[index] = place = len(self.calls)  # a new call
            self.calls.append(["", "", ""])
        parts = self.calls[place]
        parts[0] = parts[0] or given or ""
        parts[1] = parts[1] or call.function.name
        parts[2] += _arguments_text(call.function.arguments)

    def finished(self) -> bool:
        if self.failed:
            _finish_reason("error", provider=self.provider, model=self.model, secrets=self.secrets)
        return self.finish is not None

    def response(self) -> ChatResponse:
        calls = tuple(ToolCall(i or _call_id(), n, a or "{}") for i, n, a in self.calls)
        return ChatResponse("".join(self.text), self.model, self.input_tokens, self.output_tokens, calls, self.finish)


def _finish_reason(reason: str, *, provider: str, model: str, secrets: tuple[str | None, ...]) -> str:
    """`reason` in OpenAI's words; Mistral's `error` (the generation failed on its side, after
    the call was answered) raises a retryable failure, as an error sent inside a stream does."""
    if reason == "error":
        raise stream_error_failure("the generation stopped with finish_reason 'error'", provider=provider, model=model, secrets=secrets)
    return FINISH_REASONS.get(reason, reason)


class MistralChatModel(ProviderChatModel["ChatCompletionResponse", "CompletionEvent"]):
    """A chat model over `mistralai.client.Mistral` (the `mistralai` SDK, version 2.0 or later).

    - messages go out in Mistral's chat format: assistant tool calls as `tool_calls`, tool
      results as `tool` messages with their call's `tool_call_id` and the tool's `name`;
    - tools go out as function tools, and tool calls come back as `ToolCall`s (a call without
      an id gets one in Mistral's form, 9 letters or digits);
    - `ChatRequest.response_format` goes out as `response_format` json_schema (non-strict, so
      that any JSON Schema msgspec makes is accepted; the reply is validated on our side);
    - the request's settings go out only when set (`temperature`, `top_p`, `seed` as
      `random_seed`, `stop`, `max_tokens`), so the model's defaults apply otherwise;
    - finish reasons in OpenAI's words: `model_length` (context window full) is `length`; a
      reply that stopped with `error` raises ModelTransientError; the text of reasoning
      models' replies is their `text` chunks (their `thinking` is left out);
    - HTTP 408/409/429/5xx, timeouts, connection errors and malformed bodies raise
      ModelTransientError (with the `Retry-After` hint), other refusals ModelCallError;
    - the SDK's own retries are turned off on every call (`RetryConfig("none")`, whatever the
      client was built with), so one policy decides: agents retry model calls by default
      (`model_retry`); elsewhere wrap the model's node in `Retry`.

    On asyncio the calls use the SDK's async methods (`chat.complete_async`,
    `chat.stream_async`). Those run the SDK's hooks through `asyncio.to_thread`, which fails on
    trio, so on trio the SDK's sync methods (`chat.complete`, `chat.stream`) run in worker
    threads (`anyio.to_thread.run_sync`; a stream reads one event per hop). A cancelled call
    returns at once; its thread ends with the HTTP exchange (or the SDK's timeout).
    """

    provider = "mistral"

    def __init__(
        self,
        client: Mistral,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        from mistralai.client.utils import BackoffStrategy, RetryConfig

        security = client.sdk_configuration.security
        api_key = getattr(security, "api_key", None)
        # the SDK falls back to MISTRAL_API_KEY when the client has no key: mask that one too
        secrets = (api_key if isinstance(api_key, str) else None, os.environ.get("MISTRAL_API_KEY"))
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=secrets)
        self.client = client
        self._no_retries = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
        self._transport_errors = http_errors("TransportError")

    def _current_secrets(self) -> tuple[str | None, ...]:
        """The key of a client made with `api_key` as a callable (the SDK keeps the callable, not
        the key, and calls it for every request): called again here."""
        security = getattr(getattr(self.client, "sdk_configuration", None), "security", None)
        if not callable(security):
            return ()
        try:
            key = getattr(security(), "api_key", None)
        except Exception:  # noqa: BLE001 - no key to be had: none to mask
            return ()
        return (key,) if isinstance(key, str) else ()

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.model, "messages": _conversation(request.messages)}
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        if request.top_p is not None:
            arguments["top_p"] = request.top_p
        if request.seed is not None:
            arguments["random_seed"] = request.seed
        if request.stop:
            arguments["stop"] = list(request.stop)
        limit = self.reply_cap(request)
        if limit is not None:
            arguments["max_tokens"] = limit
        if request.tools:
            arguments["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": json.loads(t.parameters)}}
                for t in request.tools
            ]
        if request.response_format is not None:
            spec = json.loads(request.response_format)
            arguments["response_format"] = {"type": "json_schema", "json_schema": {**spec, "strict": False}}
        return _as_sdk_models(arguments)

    async def _send(self, arguments: dict[str, Any]) -> Decoded[ChatCompletionResponse]:
        chat = self.client.chat
        if running_asyncio():
            return Decoded(await chat.complete_async(**arguments, retries=self._no_retries))
        call = functools.partial(chat.complete, **arguments, retries=self._no_retries)
        return Decoded(await anyio.to_thread.run_sync(call, abandon_on_cancel=True))

    async def _open(self, arguments: dict[str, Any]) -> EventStream[CompletionEvent]:
        chat = self.client.chat
        if running_asyncio():
            events = await chat.stream_async(**arguments, retries=self._no_retries)
            return GeneratorEvents(events.generator, events.response.aclose)  # the generator's `finally` closes the response
        call = functools.partial(chat.stream, **arguments, retries=self._no_retries)
        sync_events = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)

        def close() -> None:
            sync_events.generator.close()  # its `finally` closes the response
            sync_events.response.close()

        return ThreadedEvents(sync_events.generator, close)

    def _read(self, raw: ChatCompletionResponse, request: ChatRequest) -> ChatResponse:
        if not raw.choices or raw.choices[0].message is None:  # a malformed response, not an IndexError
            raise ValueError("the completion has no message")
        choice = raw.choices[0]
        message = choice.message
        assert message is not None
        calls = tuple(
            ToolCall(_given_id(c.id) or _call_id(), c.function.name, _arguments_text(c.function.arguments) or "{}") for c in _calls(message.tool_calls)
        )
        usage = raw.usage
        finish = _finish_reason(choice.finish_reason, provider=self.provider, model=self.model, secrets=self._secrets)
        return ChatResponse(_text(message.content), raw.model or self.model, usage.prompt_tokens or 0, usage.completion_tokens or 0, calls, finish)

    def _assembler(self, request: ChatRequest) -> _Chunks:
        return _Chunks(self.model, self.provider, self._secrets)

    def _translated(self, error: Exception) -> Exception | None:
        """The SDK's errors read into the shared policy: an HTTP error status (`MistralError`:
        `SDKError`, `HTTPValidationError`) is a status failure with the response's headers; a
        2xx answer the SDK could not read (`ResponseValidationError`, or the wrong content type)
        is malformed, unless it is a stream event holding Mistral's error object; no response or
        an httpx transport error is a transport failure."""
        from mistralai.client import errors

        if isinstance(error, errors.MistralError):
            body = _json(error.body)
            if 200 <= error.status_code < 300:
                event = body.get("data") if isinstance(body, dict) else None  # a stream event, as the SDK's decoder saw it
                if isinstance(event, dict) and event.get("object") == "error":
                    return stream_error_failure(_message(event, error), provider=self.provider, model=self.model, secrets=self._secrets)
                return malformed_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
            kind = next((v for v in (body.get("type"), body.get("code")) if isinstance(v, str)), None) if isinstance(body, dict) else None
            return status_failure(
                provider=self.provider,
                model=self.model,
                status=error.status_code,
                message=_message(body, error),
                headers=dict(error.headers),
                kind=kind,
                secrets=self._secrets,
            )
        if isinstance(error, (errors.NoResponseError, *self._transport_errors)):
            return transport_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        return None


@functools.cache
def _sdk_types() -> tuple[Any, Any, Any]:
    """Validators of the SDK's own request models (messages, function tools, response format),
    built once."""
    import pydantic
    from mistralai.client import models

    return (
        pydantic.TypeAdapter(list[models.ChatCompletionRequestMessage]),
        pydantic.TypeAdapter(list[models.Tool]),
        pydantic.TypeAdapter(models.ResponseFormat),
    )


def _as_sdk_models(arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` with the messages, tools and response format as the SDK's models: given plain
    dicts, the SDK builds a new pydantic validator for each of them on every call (milliseconds
    of CPU a call); given its models, it takes them as they are. The JSON sent is the same."""
    messages, tools, response_format = _sdk_types()
    converted = {**arguments, "messages": messages.validate_python(arguments["messages"])}
    if "tools" in arguments:
        converted["tools"] = tools.validate_python(arguments["tools"])
    if "response_format" in arguments:
        converted["response_format"] = response_format.validate_python(arguments["response_format"])
    return converted


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _message(body: object, error: Exception) -> str:
    """Mistral's message from its error body (`{"object": "error", "message": ..., "type": ...}`
    or a validation error's `detail`), else the body as the SDK read it."""
    if isinstance(body, dict):
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if value:
                return json.dumps(value)
    text = getattr(error, "body", "")
    return text if isinstance(text, str) and text else str(error)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> MistralChatModel:
    """The client `--provider mistral` names: the key from `MISTRAL_API_KEY`, the server from
    `base_url` (default Mistral's)."""
    from mistralai.client import Mistral

    # select.PROVIDERS refuses a command line without the key (and without --base-url)
    return MistralChatModel(Mistral(api_key=os.environ.get("MISTRAL_API_KEY"), server_url=base_url), model, max_tokens=max_tokens)
