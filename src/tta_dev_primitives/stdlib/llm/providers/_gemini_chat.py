"""`GeminiChatModel`: a ChatModel over Google's official `google-genai` SDK (extra `gemini`).

The key comes from the client (`genai.Client(api_key=...)`, or the SDK reads `GOOGLE_API_KEY`,
else `GEMINI_API_KEY`); the SDK sends it in the `x-goog-api-key` header, and this class never logs
or repeats it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import importlib
import json
import os
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ....errors import ConfigError, PrimitivesError
from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import SHAPE_ERRORS, Decoded, EventStream, ProviderChatModel, StreamAssembler, arguments_object
from ._streams import GeneratorEvents
from ._errors import http_errors, malformed_failure, retry_delay_from, status_failure, transport_failure

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

__all__ = ["GeminiChatModel", "from_options", "gemini_client"]

API_VERSION = "v1beta"
"""The API version `gemini_client` asks for: the one Google's API reference documents every
field this client sends on (JSON Schema tools and response schemas, thought signatures). The
SDK's own default since 3.0 is `v1`."""

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MODEL_ARMOR": "content_filter",
}
"""Gemini's finish reasons in OpenAI's words (ChatResponse.finish_reason); others pass in lower
case (`malformed_function_call`, `other`, ...). A reply with tool calls finishes `tool_calls`."""

CALL_ID = re.compile(r"^call_\d+$")
"""The ids this client makes for calls Gemini gave none (`call_0`, `call_1`, ...: their place
among the reply's calls)."""

SIGNATURE_MARK = "~ts~"
"""Separates a call's id from the thought signature it carries (URL-safe base64, which has no
`~`): Gemini 3 refuses a conversation whose function calls come back without their signature,
and a ToolCall has no other field to keep it in."""


def _finish_reason(reason: object) -> str | None:
    if reason is None:
        return None
    name = str(getattr(reason, "value", reason))
    return FINISH_REASONS.get(name, name.lower())


def _call_id(index: int, gemini_id: str | None, signature: bytes | None) -> str:
    """Our id for the reply's `index`-th call: Gemini's id when it gave one (else `call_<index>`),
    with the call's thought signature (if any) after SIGNATURE_MARK."""
    base = gemini_id or f"call_{index}"
    if signature:
        return base + SIGNATURE_MARK + base64.urlsafe_b64encode(signature).decode("ascii")
    return base


def _id_parts(call_id: str) -> tuple[str | None, bytes | None]:
    """(Gemini's own id, or None for one we made; the thought signature, if any) of a call id."""
    base, mark, encoded = call_id.partition(SIGNATURE_MARK)
    signature: bytes | None = None
    if mark:
        try:
            signature = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (binascii.Error, ValueError):
            signature = None  # not ours: sent without one
    return (None if CALL_ID.match(base) else base or None), signature


def _conversation(messages: tuple[ChatMessage, ...]) -> tuple[str | None, list[types.Content]]:
    """The system instruction and the turns, in Gemini's shape: assistant turns are `model`
    contents with `function_call` parts; tool results are `function_response` parts of one user
    turn (consecutive results share it), named after the call they answer: found by id among
    the calls of the assistant turns before them, else the next unanswered call in order."""
    from google.genai import types

    system = [m.content for m in messages if m.role == "system"]
    turns: list[types.Content] = []
    names: dict[str, str] = {}  # call id -> tool name (the latest assistant turn's win)
    pending: list[str] = []  # ids of the last assistant turn's calls not yet answered
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            parts: list[types.Part] = [types.Part(text=message.content)] if message.content else []
            for call in message.tool_calls:
                gemini_id, signature = _id_parts(call.id)
                function_call = types.FunctionCall(name=call.name, args=arguments_object(call.arguments), id=gemini_id)
                parts.append(types.Part(function_call=function_call, thought_signature=signature))
                names[call.id] = call.name
            pending = [c.id for c in message.tool_calls]
            if parts:
                turns.append(types.Content(role="model", parts=parts))
            continue
        if message.role == "tool":
            call_id = message.tool_call_id or ""
            if call_id in names:
                name = names[call_id]
                if call_id in pending:
                    pending.remove(call_id)
            elif pending:  # no id we know: the results answer the calls in order
                call_id = pending.pop(0)
                name = names[call_id]
            else:
                raise ConfigError("GeminiChatModel", "messages", "tool results that answer a tool call before them", call_id)
            key = "error" if message.is_error else "output"  # the keys Gemini's FunctionResponse documents
            response = types.FunctionResponse(name=name, response={key: message.content}, id=_id_parts(call_id)[0])
            last = turns[-1] if turns else None
            if last is not None and last.role == "user" and last.parts and all(p.function_response is not None for p in last.parts):
                last.parts.append(types.Part(function_response=response))
            else:
                turns.append(types.Content(role="user", parts=[types.Part(function_response=response)]))
            continue
        turns.append(types.Content(role="user", parts=[types.Part(text=message.content)]))
    return ("\n\n".join(system) or None), turns


def _usage(usage: Any) -> tuple[int, int]:
    """(input, output) tokens of `usage_metadata`: the prompt (and any tool-use prompt) in, the
    candidates and the model's thoughts (billed as output) out."""
    if usage is None:
        return 0, 0
    prompt = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
    return prompt, (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)


def _blocked(response: Any) -> bool:
    """Whether the prompt itself was refused (`prompt_feedback.block_reason`): no candidates."""
    feedback = response.prompt_feedback
    return feedback is not None and feedback.block_reason is not None


class _Reply:
    """Text and calls read from a reply's parts (whole, or chunk by chunk in a stream)."""

    def __init__(self, answer_tool: str | None) -> None:
        self.answer_tool = answer_tool
        self.text: list[str] = []
        self.answer: str | None = None
        self.calls: list[ToolCall] = []
        self.index = 0  # calls seen, the answer tool's included

    def add(self, parts: list[Any] | None) -> str:
        """Take `parts`; the text they add to the reply."""
        added: list[str] = []
        for part in parts or ():
            call = part.function_call
            if call is not None:
                arguments = json.dumps(call.args or {})
                if call.name == self.answer_tool:
                    self.answer = arguments  # the answer is the tool's arguments alone (the last, if several)
                else:
                    self.calls.append(ToolCall(_call_id(self.index, call.id, part.thought_signature), call.name or "", arguments))
                self.index += 1
            elif part.text and not part.thought:  # thought summaries are not the reply
                self.text.append(part.text)
                added.append(part.text)
        return "".join(added)

    def response(self, model: str, usage: tuple[int, int], finish: str | None) -> ChatResponse:
        if self.calls and finish == "stop":
            finish = "tool_calls"
        text = self.answer if self.answer is not None else "".join(self.text)
        return ChatResponse(text, model, usage[0], usage[1], tuple(self.calls), finish)


class _Chunks(StreamAssembler["types.GenerateContentResponse"]):
    """A streamed reply: each chunk's parts add to it; usage is the latest chunk's (Gemini sends
    running totals); the reply is complete once a candidate has a finish reason or the prompt
    was blocked."""

    def __init__(self, model: str, answer_tool: str | None) -> None:
        self.model = model
        self.reply = _Reply(answer_tool)
        self.usage = (0, 0)
        self.finish: str | None = None
        self.done = False

    def feed(self, event: types.GenerateContentResponse) -> str | None:
        self.model = event.model_version or self.model
        if event.usage_metadata is not None:
            self.usage = _usage(event.usage_metadata)
        if _blocked(event):
            self.finish, self.done = "content_filter", True
        delta = ""
        for candidate in (event.candidates or ())[:1]:
            delta = self.reply.add(candidate.content.parts if candidate.content is not None else None)
            if candidate.finish_reason is not None:
                self.finish, self.done = _finish_reason(candidate.finish_reason), True
        return delta or None

    def finished(self) -> bool:
        return self.done

    def response(self) -> ChatResponse:
        return self.reply.response(self.model, self.usage, self.finish)


class _Stream:
    """The SDK's stream (an async generator) as an EventStream: `close` ends it. When the server
    reports an error inside the stream, the SDK raises it without closing the HTTP response (its
    inner generators are left to the garbage collector): the response the error carries is
    closed here, so the connection is released at once."""

    def __init__(self, chunks: AsyncIterator[types.GenerateContentResponse]) -> None:
        self.chunks = chunks
        self.events = GeneratorEvents(chunks)  # closes the SDK's stacked generators and the response
        self.reading = self._read()

    async def _read(self) -> AsyncGenerator[types.GenerateContentResponse, None]:
        try:
            async for chunk in self.chunks:
                yield chunk
        except Exception as error:
            sdk_response = getattr(error, "response", None)  # the SDK's HttpResponse of the stream
            close = getattr(getattr(sdk_response, "response_stream", None), "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()
            raise

    def __aiter__(self) -> AsyncIterator[types.GenerateContentResponse]:
        return self.reading

    async def close(self) -> None:
        await self.reading.aclose()
        await self.events.close()


def _any_loop(client: genai.Client) -> bool:
    """Whether the SDK's async transport runs on any event loop (trio included): an httpx client
    or transport of the caller's own. The SDK's default async client keeps one connection pool
    per asyncio loop, and with aiohttp installed it uses aiohttp: both need asyncio."""
    options = getattr(getattr(client, "_api_client", None), "_http_options", None)
    if options is None:
        return False
    return options.httpx_async_client is not None or (options.async_client_args or {}).get("transport") is not None


def _one_attempt_options() -> types.HttpOptions:
    """Per-request options that make the SDK try once, whatever its client says."""
    from google.genai import types

    return types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1))


def _one_attempt(client: genai.Client) -> bool:
    """Whether the SDK tries each request once on its own: its client is set to one attempt
    (`retry_options.attempts == 1`; without retry options the aiohttp transport retries
    connection errors by itself, and `attempts=None` means the SDK's default of several)."""
    options = getattr(getattr(client, "_api_client", None), "_http_options", None)
    retry = getattr(options, "retry_options", None)
    return retry is not None and retry.attempts == 1


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class GeminiChatModel(ProviderChatModel["types.GenerateContentResponse", "types.GenerateContentResponse"]):
    """A chat model over `genai.Client(...).aio.models` (the Gemini Developer API, or Vertex AI
    with a Vertex client).

    - system messages become `system_instruction`; user and assistant turns become contents
      with roles `user` and `model`; tool calls become `function_call` parts and tool results
      `function_response` parts (`{"output": text}`, or `{"error": text}` for a failed call);
    - Gemini gives calls no ids (newer models may): the client names each call by its place in
      the reply (`call_0`, `call_1`, ...) unless Gemini gave an id, and sends a result back
      under the name of the call with its id (else of the next unanswered call, in order). A
      call's thought signature (which Gemini 3 requires back with the call) travels in its id
      after `~ts~`, so a conversation replayed from storage still carries it;
    - tools go out as `function_declarations` with their JSON Schema as `parameters_json_schema`
      (any JSON Schema msgspec makes); the SDK's automatic function calling is off (the agent
      runs the tools);
    - structured output (`ChatRequest.response_format`) is Gemini's JSON mode
      (`response_mime_type="application/json"` with `response_json_schema`); with tools as well
      (which Gemini 2.x refuses to combine with JSON mode) the schema is offered as a function
      the model must end by calling (`tool_config` mode ANY), whose arguments are the reply;
    - the request's settings go out only when set: `temperature`, `top_p`, `seed`, `stop` as
      `stop_sequences`, the reply cap as `max_output_tokens`;
    - usage is `prompt_token_count` in and `candidates_token_count` plus `thoughts_token_count`
      out; finish reasons: STOP -> stop, MAX_TOKENS -> length, SAFETY, RECITATION, BLOCKLIST,
      PROHIBITED_CONTENT, SPII -> content_filter, and tool_calls for a reply with calls. A
      prompt Gemini blocks (`prompt_feedback.block_reason`, no candidates) is an empty reply
      with finish_reason content_filter;
    - HTTP 408/409/429/5xx, connection errors and malformed bodies raise ModelTransientError,
      with the wait from `Retry-After` or else from the `google.rpc.RetryInfo` `retryDelay`
      in the error body; other refusals raise ModelCallError; the key never shows in either;
    - the SDK makes exactly one attempt per call (`HttpRetryOptions(attempts=1)`: the client's
      own, as `gemini_client()` sets it, or on every request of a client set otherwise), so one policy decides: agents retry model calls by default (`model_retry`);
      elsewhere wrap the model's node in `Retry`. The SDK's automatic continuation of long
      replies (continuation tokens) stays on: those are further parts of one reply, not retries;
    - the SDK's default async transport needs asyncio (a per-loop connection pool, or aiohttp
      when installed): on trio, build the client with `gemini_client()` (an httpx transport of
      its own, which runs on any loop) or pass one in `HttpOptions(async_client_args=
      {"transport": ...})`; a client that cannot run on trio is refused there with ConfigError.
    """

    provider = "gemini"

    def __init__(
        self,
        client: genai.Client,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        from google.genai import errors

        key = getattr(getattr(client, "_api_client", None), "api_key", None)  # the SDK keeps it there only
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=(key if isinstance(key, str) else None,))
        self.client = client
        self.status_error = errors.APIError
        self.api_error = errors.APIError
        self.connection_errors = _transport_errors()
        self._any_loop = _any_loop(client)
        self._per_request = None if _one_attempt(client) else {"http_options": _one_attempt_options()}
        """What every request adds to make the SDK try once: nothing when the client itself is
        set to one attempt (as `gemini_client()` builds it), since per-request HTTP options
        make the SDK rebuild its request settings on every call (about 0.8 ms here)."""

    @staticmethod
    def _answer_tool(request: ChatRequest) -> dict[str, Any] | None:
        """The function structured output is answered through: only with tools (see the class)."""
        if request.response_format is None or not request.tools:
            return None
        spec = json.loads(request.response_format)
        return {"name": spec["name"], "description": "Give the final answer.", "parameters_json_schema": spec["schema"]}

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        from google.genai import types

        system, turns = _conversation(request.messages)
        if not turns:  # else the SDK refuses it with a ValueError, read as a malformed response (and retried)
            raise ConfigError(repr(self), "request.messages", "a user, assistant or tool message (Gemini takes no system-only conversation)", "system messages only")
        config: dict[str, Any] = {**(self._per_request or {})}
        if system is not None:
            config["system_instruction"] = system
        for field, value in (("temperature", request.temperature), ("top_p", request.top_p), ("seed", request.seed)):
            if value is not None:
                config[field] = value
        if request.stop:
            config["stop_sequences"] = list(request.stop)
        limit = self.reply_cap(request)
        if limit is not None:
            config["max_output_tokens"] = limit
        declarations = [
            types.FunctionDeclaration(name=t.name, description=t.description, parameters_json_schema=json.loads(t.parameters)) for t in request.tools
        ]
        answer = self._answer_tool(request)
        if answer is not None:
            if any(d.name == answer["name"] for d in declarations):
                raise ConfigError(repr(self), "response_format", f"a name other than the tools' ({answer['name']!r} is a tool)", answer["name"])
            declarations.append(types.FunctionDeclaration(**answer))
            # the model may call the other tools first; it must end by calling this one
            mode = types.FunctionCallingConfigMode.ANY
            config["tool_config"] = types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode=mode))
        elif request.response_format is not None:
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = json.loads(request.response_format)["schema"]
        if declarations:
            config["tools"] = [types.Tool(function_declarations=declarations)]
            # our agent runs the tools (the SDK's own loop only runs Python callables, which we never pass)
            config["automatic_function_calling"] = types.AutomaticFunctionCallingConfig(disable=True)
        # no config at all when nothing is set: the SDK converts every field of one on every call
        return {"model": self.model, "contents": turns, "config": types.GenerateContentConfig(**config) if config else None}

    def _check_loop(self) -> None:
        if not self._any_loop and not _on_asyncio():
            raise ConfigError(
                repr(self),
                "client",
                "a genai.Client whose async transport runs on this event loop: gemini_client(), or "
                "HttpOptions(async_client_args={'transport': httpx2.AsyncHTTPTransport()}) (the SDK's default needs asyncio)",
                "a client on the SDK's default async transport",
            )

    async def _send(self, arguments: dict[str, Any]) -> Decoded[types.GenerateContentResponse]:
        self._check_loop()
        response = await self.client.aio.models.generate_content(**arguments)
        return Decoded(response)

    async def _open(self, arguments: dict[str, Any]) -> EventStream[types.GenerateContentResponse]:
        self._check_loop()
        chunks = await self.client.aio.models.generate_content_stream(**arguments)
        return _Stream(chunks)

    def _read(self, raw: types.GenerateContentResponse, request: ChatRequest) -> ChatResponse:
        model = raw.model_version or self.model
        usage = _usage(raw.usage_metadata)
        candidates = raw.candidates or []
        if not candidates:
            if _blocked(raw):  # the prompt itself was refused
                return ChatResponse("", model, usage[0], usage[1], (), "content_filter")
            raise ValueError("the reply has no candidates")  # read as a malformed response (transient)
        answer = self._answer_tool(request)
        reply = _Reply(answer["name"] if answer is not None else None)
        candidate = candidates[0]
        reply.add(candidate.content.parts if candidate.content is not None else None)
        return reply.response(model, usage, _finish_reason(candidate.finish_reason))

    def _assembler(self, request: ChatRequest) -> _Chunks:
        answer = self._answer_tool(request)
        return _Chunks(self.model, answer["name"] if answer is not None else None)

    def _translated(self, error: Exception) -> Exception | None:
        """google-genai's errors in the shared policy: `APIError` (ClientError / ServerError, also
        for an error the server sent inside a stream) by its HTTP code, with `Retry-After` or
        the body's RetryInfo; httpx (httpx2) and aiohttp transport errors; a body the SDK could
        not decode (it decodes inside the call: JSONDecodeError, UnknownApiResponseError,
        pydantic's ValidationError) as a malformed response. Our own errors (a ConfigError is a
        ValueError too) pass as they are."""
        if isinstance(error, PrimitivesError):
            return None
        if isinstance(error, self.api_error):
            code = getattr(error, "code", None)
            status = code if isinstance(code, int) and not isinstance(code, bool) else None
            response = getattr(error, "response", None)
            headers: Mapping[str, str] = dict(getattr(response, "headers", None) or {})
            message = getattr(error, "message", None) or str(error)
            kind = getattr(error, "status", None)
            details = getattr(error, "details", None)
            return status_failure(
                provider=self.provider,
                model=self.model,
                status=status,
                message=f"{kind}: {message}" if isinstance(kind, str) and kind else str(message),
                headers=headers,
                secrets=self._secrets,
                retry_after=retry_delay_from(details),
            )
        if isinstance(error, self.connection_errors):
            return transport_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        if isinstance(error, SHAPE_ERRORS):
            return malformed_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        return None


def _transport_errors() -> tuple[type[Exception], ...]:
    """The transport errors of every HTTP package the SDK may use: httpx2 (its default), httpx
    (when asked for), aiohttp (when installed)."""
    try:
        aiohttp = importlib.import_module("aiohttp")
    except ImportError:
        return http_errors("TransportError")
    return (*http_errors("TransportError"), aiohttp.ClientError)


def gemini_client(api_key: str | None = None, *, base_url: str | None = None, api_version: str = API_VERSION) -> genai.Client:
    """A `genai.Client` as this library uses it: the key given (else the SDK reads
    `GOOGLE_API_KEY`, else `GEMINI_API_KEY`), one attempt per call (no SDK retries), API
    `api_version`, and an httpx transport of its own, so its async calls run on any event loop
    (trio included). Close it with `await client.aio.aclose()`."""
    from google import genai
    from google.genai import types

    # the SDK uses httpx2 unless GOOGLE_GENAI_HTTP_CLIENT=httpx; the transport must be the same package's
    package = "httpx" if os.environ.get("GOOGLE_GENAI_HTTP_CLIENT", "").strip().lower() == "httpx" else "httpx2"
    transport = importlib.import_module(package).AsyncHTTPTransport()
    options = types.HttpOptions(
        base_url=base_url,
        api_version=api_version,
        retry_options=types.HttpRetryOptions(attempts=1),
        async_client_args={"transport": transport},
    )
    return genai.Client(api_key=api_key, http_options=options)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> GeminiChatModel:
    """The client `--provider gemini` (or `--model gemini-...`) names: the key from
    `GOOGLE_API_KEY`, else `GEMINI_API_KEY`, as the SDK reads it (a `base_url` server of one's
    own may need none: it gets a placeholder)."""
    key = os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or ("unused" if base_url else None)
    return GeminiChatModel(gemini_client(key, base_url=base_url), model, max_tokens=max_tokens)
