"""`HuggingFaceChatModel`: a ChatModel over `huggingface_hub`'s `AsyncInferenceClient` (extra
`huggingface`).

Works with the Hugging Face router (Inference Providers: the default), a dedicated Inference
Endpoint or any text-generation-inference (TGI) server (`AsyncInferenceClient(base_url=...)`).
The token comes from the client (by default the SDK reads `HF_TOKEN` or the token saved by
`hf auth login`); this class never logs or repeats it.

The SDK's HTTP client is `httpx2` (huggingface_hub 2.x; `httpx` in 1.x), which runs on anyio:
the client works on asyncio and trio as it is, with no thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, Callable
from typing import TYPE_CHECKING, Any

from ..model import ChatRequest, ChatResponse
from ._base import Decoded, EventStream, RawResponse
from ._chat_completions import ChatCompletionsModel, Chunks, read_completion
from ._streams import GeneratorEvents
from ._errors import http_errors, malformed_failure, status_failure, stream_error_failure, transport_failure

if TYPE_CHECKING:
    from huggingface_hub import AsyncInferenceClient, ChatCompletionOutput, ChatCompletionStreamOutput

__all__ = ["HuggingFaceChatModel", "from_options"]

FINISH_REASONS = {
    "eos_token": "stop",
    "stop_sequence": "stop",
}
"""TGI's finish reasons in OpenAI's words (ChatResponse.finish_reason); the router's providers
already answer in OpenAI's (`stop`, `length`, `tool_calls`, `content_filter`), which pass as
they are."""

HF_TOKEN_PATTERN = re.compile(r"\bhf_[A-Za-z0-9]{16,}")
"""A Hugging Face access token: masked in any message we pass on, besides the client's own
token, which the shared policy masks (a server may echo a token the SDK found elsewhere)."""

ERROR_KINDS = {"overloaded": "overloaded_error", "validation": "invalid_request_error"}
"""TGI's `error_type` values in the words of the shared failure policy (`_errors.py`)."""


def _finish_reason(reason: str | None, calls: bool) -> str | None:
    """`reason` in OpenAI's words; a reply asking for tools that TGI ended with `eos_token`
    finished to call them (`tool_calls`), as OpenAI says."""
    if reason is None:
        return None
    mapped = FINISH_REASONS.get(reason, reason)
    return "tool_calls" if calls and mapped == "stop" else mapped


class HuggingFaceChatModel(ChatCompletionsModel["ChatCompletionOutput", "ChatCompletionStreamOutput"]):
    """A chat model over `huggingface_hub.AsyncInferenceClient`: the Hugging Face router
    (Inference Providers), an Inference Endpoint or a TGI server.

    - `model` is the Hub model id (`meta-llama/Llama-3.1-8B-Instruct`), optionally with the
      provider to route to (`...:together`, `...:fastest`), or the name a `base_url` server
      expects;
    - tools go out as `tools` (function tools), and tool calls come back as `ToolCall`s (TGI's
      arguments, a JSON object, read as JSON text);
    - `ChatRequest.response_format` goes out as `response_format` json_schema (non-strict; the
      reply is validated on our side); for a `base_url` endpoint (TGI) the SDK rewrites it into
      TGI's grammar `{"type": "json_object", "value": schema}`;
    - the request's settings go out only when set (`temperature`, `top_p`, `seed`, `stop`,
      `max_tokens`), so the server's defaults apply otherwise;
    - finish reasons in OpenAI's words (TGI's `eos_token` and `stop_sequence` read `stop`);
    - streams ask for usage (`stream_options.include_usage`) and end in an error if cut;
    - HTTP 408/409/429/5xx, timeouts, connection errors and malformed bodies raise
      ModelTransientError (with the `Retry-After` hint), other refusals ModelCallError; an
      error TGI reports inside a stream is transient, save a validation error;
    - the SDK makes one request per call (the inference client has no retries of its own, and
      does not wait for a loading model), so one policy decides: agents retry model calls by
      default (`model_retry`); elsewhere wrap the model's node in `Retry`.
    """

    provider = "huggingface"

    def __init__(
        self,
        client: AsyncInferenceClient,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        from huggingface_hub import get_token

        # the SDK sends the client's token, or the one it finds (HF_TOKEN, `hf auth login`)
        token = client.token if isinstance(client.token, str) else get_token()
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=(token,))
        self.client = client

    async def _send(self, arguments: dict[str, Any]) -> RawResponse[ChatCompletionOutput]:
        # the SDK decodes the body inside the call: a bad one fails there (see _translated)
        output: ChatCompletionOutput = await self.client.chat_completion(**arguments, stream=False)
        return Decoded(output)

    async def _open(self, arguments: dict[str, Any]) -> EventStream[ChatCompletionStreamOutput]:
        from huggingface_hub import ChatCompletionInputStreamOptions

        chunks: AsyncIterable[ChatCompletionStreamOutput] = await self.client.chat_completion(
            **arguments, stream=True, stream_options=ChatCompletionInputStreamOptions(include_usage=True)
        )
        return GeneratorEvents(chunks)  # the SDK leaves its inner line reader open at [DONE]: closed with it

    def _read(self, raw: ChatCompletionOutput, request: ChatRequest) -> ChatResponse:
        return read_completion(raw, self.model, _finish_reason)

    def _assembler(self, request: ChatRequest) -> Chunks:
        return Chunks(self.model, _finish_reason)

    def _translated(self, error: Exception) -> Exception | None:
        """huggingface_hub's errors read into the shared policy: `HfHubHTTPError` (its status,
        the server's message and `Retry-After`), `InferenceTimeoutError` and the HTTP client's
        transport errors (retryable), errors TGI reports inside a stream, and bodies the SDK
        could not decode. None for anything else (a bug, or the SDK refusing its arguments, as
        the router without a Hugging Face token), which propagates as it is."""
        from huggingface_hub import errors

        common: dict[str, Any] = {"provider": self.provider, "model": self.model, "secrets": self._secrets}
        if isinstance(error, errors.TextGenerationError):  # {"error": ..., "error_type": ...} in a stream
            if isinstance(error, errors.ValidationError):
                return status_failure(status=None, message=_scrub(str(error)), kind="invalid_request_error", **common)
            return stream_error_failure(_scrub(str(error)), **common)
        if isinstance(error, errors.HfHubHTTPError):
            response = error.response
            message, kind = _server_error(response, error)
            return status_failure(status=response.status_code, message=_scrub(message), headers=dict(response.headers), kind=kind, **common)
        if isinstance(error, errors.InferenceTimeoutError):
            return transport_failure(error, **common)
        if isinstance(error, errors.OfflineModeIsEnabled):  # HF_HUB_OFFLINE: no retry sends it
            return status_failure(status=None, message=str(error), **common)
        if isinstance(error, http_errors("TransportError")):  # connection refused, reset, cut mid-stream
            return transport_failure(error, **common)
        if _decoding(error):
            return malformed_failure(error, **common)
        return None


def _scrub(text: str) -> str:
    return HF_TOKEN_PATTERN.sub("[redacted]", text)


def _server_error(response: Any, error: Exception) -> tuple[str, str | None]:
    """The server's message and error kind from an error answer: TGI's `{"error": "...",
    "error_type": "..."}` or an OpenAI-style `{"error": {"message": ..., "type"/"code": ...}}`
    from a provider behind the router; else the SDK's message."""
    fallback = str(getattr(error, "server_message", None) or error).strip()
    try:
        body = json.loads(response.content or b"null")
    except Exception:  # not JSON, or a streamed body the SDK did not read
        return fallback, None
    if not isinstance(body, dict):
        return fallback, None
    detail = body.get("error")
    if isinstance(detail, dict):
        kind = next((v for k in ("code", "type") if isinstance(v := detail.get(k), str) and v != "error"), None)
        return str(detail.get("message") or fallback), kind
    error_type = body.get("error_type")
    kind = ERROR_KINDS.get(error_type, error_type) if isinstance(error_type, str) else None
    return (detail if isinstance(detail, str) and detail else fallback), kind


def _decoding(error: Exception) -> bool:
    """Whether `error` came from decoding the reply: raised inside the SDK's `parse_obj` or
    `parse_obj_as_instance` (a body that is no JSON, or JSON no completion is made of: a list,
    a bare value), or by the HTTP client's content
    decoders (a body that is not the gzip it says)."""
    from huggingface_hub import ChatCompletionOutput

    parsers = (ChatCompletionOutput.parse_obj, ChatCompletionOutput.parse_obj_as_instance)
    codes = {getattr(getattr(parse, "__func__", None), "__code__", None) for parse in parsers} - {None}
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code in codes:
            return True
        traceback = traceback.tb_next
    return isinstance(error, http_errors("DecodingError"))


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> HuggingFaceChatModel:
    """The client `--provider huggingface` names: the Hugging Face router with the token the SDK
    finds (`HF_TOKEN`, or the one `hf auth login` saved), or the Inference Endpoint or TGI
    server at `base_url`."""
    from huggingface_hub import AsyncInferenceClient

    return HuggingFaceChatModel(AsyncInferenceClient(base_url=base_url), model, max_tokens=max_tokens)
