"""What both provider clients share: SDK retries off, errors translated, usage reported, and
streams assembled into a full reply (text, tool calls, usage) or failed when cut short."""

from __future__ import annotations

import abc
import contextlib
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

import anyio
import attrs

from ....errors import ConfigError
from ...._validate import check_positive
from .._arguments import check_arguments
from ..model import SELF_REPORTING, ChatRequest, ChatResponse, report_usage
from .._schema import json_value
from ._errors import ModelCallError, ModelTransientError, http_errors, malformed_failure, translate

__all__ = ["Decoded", "EventStream", "ProviderChatModel", "RawResponse", "StreamAssembler", "input_bound"]

Event = TypeVar("Event")
Raw = TypeVar("Raw")
E_co = TypeVar("E_co", covariant=True)


class EventStream(Protocol[E_co]):
    """An SDK's stream (`openai.AsyncStream`, `anthropic.AsyncStream`): events, then `close`."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None:
        """Release the response (its connection) even when not read to the end."""
        ...


class RawResponse(Protocol[E_co]):
    """An SDK's answer before its body is decoded (`with_raw_response`): the HTTP exchange is
    over, and `parse` decodes the body (a coroutine in SDKs whose raw responses are async)."""

    def parse(self) -> E_co | Awaitable[E_co]:
        """The body decoded into the SDK's type (its json.loads and models: a bad body fails here)."""
        ...


@attrs.frozen
class Decoded(Generic[E_co]):
    """A reply the SDK has already decoded (SDKs without raw responses: google-genai, ollama,
    mistralai, boto3, huggingface_hub), as a RawResponse: such an SDK fails on a bad body inside
    the call, so its client's `_translated` reads decoding errors as malformed responses."""

    value: E_co

    def parse(self) -> E_co:
        return self.value


class StreamAssembler(abc.ABC, Generic[Event]):
    """Folds a provider's stream events into the reply; `feed` returns the text delta (if any)."""

    @abc.abstractmethod
    def feed(self, event: Event) -> str | None:
        """Take one event; the text it adds to the reply, if any."""

    @abc.abstractmethod
    def finished(self) -> bool:
        """Whether the provider said the reply is complete (finish reason / message_stop)."""

    @abc.abstractmethod
    def response(self) -> ChatResponse:
        """The whole reply assembled from the events fed (text, tool calls, usage, finish)."""


SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)
"""What decoding and reading a reply of the wrong shape raises (an HTML page, JSON of another
API, JSON nested too deep for the SDK's decoder or holding a number too long for Python)."""

MESSAGE_OVERHEAD_TOKENS = 8
"""Tokens a provider may add per message (role, separators) beyond its text, counted by
`input_bound`."""


def arguments_object(arguments: str) -> dict[str, Any]:
    """A tool call's arguments as the JSON object providers expect when the call is sent back in
    the conversation. The model wrote them; if they were not a JSON object (cut mid-string, a
    bare value), the tool already told the model so, and replaying them as they were makes
    some servers (vLLM, SGLang) refuse the whole request. Arguments the tool refused as text
    (beyond the limits of `check_arguments`; NaN, a lone surrogate or an int too long for the
    strict decoder, `schema.json_value`) are replayed as `{}` too: the SDK's encoder would
    fail the request on them."""
    try:
        check_arguments(arguments, tool="")
        value = json_value(arguments)
    except ValueError:  # ArgumentLimitError and UnicodeEncodeError too
        return {}
    return value if isinstance(value, dict) else {"input": value}


def input_bound(request: ChatRequest, *, extra_tokens: int = 0) -> int:
    """An upper bound on the input tokens of `request`: its text in UTF-8 bytes (a token is at
    least one byte) plus a per-message allowance. Pessimistic (English runs ~4 bytes a token),
    but a bound: what `max_input_tokens` is checked against before a call is made."""
    size = sum(
        _utf8(m.content)
        + len(m.tool_call_id or "")
        + sum(len(c.id) + len(c.name) + _utf8(c.arguments) for c in m.tool_calls)
        for m in request.messages
    )
    size += sum(len(t.name) + _utf8(t.description) + _utf8(t.parameters) for t in request.tools)
    size += _utf8(request.response_format) if request.response_format else 0
    return size + MESSAGE_OVERHEAD_TOKENS * (len(request.messages) + 2) + extra_tokens


def _utf8(text: str) -> int:
    """Bytes of `text` in UTF-8, a lone surrogate counted as its 3 bytes (not an error here:
    whatever carries it is refused elsewhere)."""
    return len(text.encode("utf-8", "surrogatepass"))


class ProviderChatModel(abc.ABC, Generic[Raw, Event]):
    """A ChatModel over a provider SDK. Subclasses say how to call it and read its answers.

    `max_tokens` caps each reply (a request's own `max_tokens` may only lower it);
    `max_input_tokens` bounds what one call can send, checked before the call against a safe
    upper bound of the request's tokens (`input_bound`); without it, the model's context window
    (which the provider enforces) is the bound. Together they give the worst-case cost of a
    call that EXPLAIN and budgets use. `on_response` sees every finished reply, streamed ones
    included (e.g. `on_response=tracker.record` to price streams).
    """

    provider: str
    status_error: type[Exception]
    connection_errors: tuple[type[Exception], ...]
    api_error: type[Exception]

    def __init__(
        self,
        model: str,
        *,
        max_tokens: int | None,
        max_input_tokens: int | None,
        on_response: Callable[[ChatResponse], object] | None,
        secrets: tuple[str | None, ...],
    ) -> None:
        label = f"{type(self).__name__}({model!r})"
        if not isinstance(model, str) or not model:
            raise ConfigError(label, "model", "a model name", model)
        for field, value in (("max_tokens", max_tokens), ("max_input_tokens", max_input_tokens)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ConfigError(label, field, "a positive int or None", value)
            if value is not None:
                check_positive(label, field, value)
        self.model = model
        self.max_tokens = max_tokens
        self.max_input_tokens = max_input_tokens
        self.on_response = on_response
        self._secrets = secrets

    @property
    def _secrets(self) -> tuple[str | None, ...]:
        """What error messages must not show: the secrets given when the client was made, and
        the key the client holds now (`_current_secrets`: a key given as a callable is only
        known once a request has resolved it, and may rotate)."""
        return (*self._given_secrets, *self._current_secrets())

    @_secrets.setter
    def _secrets(self, secrets: tuple[str | None, ...]) -> None:
        self._given_secrets = secrets

    def _current_secrets(self) -> tuple[str | None, ...]:
        """The key the SDK's client holds at the time of an error (none known here)."""
        return ()

    def __repr__(self) -> str:  # never the client (it holds the key)
        return f"{type(self).__name__}(model={self.model!r})"

    # -- what a provider says -----------------------------------------------------------------

    @abc.abstractmethod
    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        """The SDK call's arguments for `request` (built before the call: a mistake here is
        ours to raise, not a provider failure)."""

    @abc.abstractmethod
    def _send(self, arguments: dict[str, Any]) -> Awaitable[RawResponse[Raw]]:
        """The SDK call for a whole reply, its body not yet decoded (`with_raw_response`): a
        body the SDK cannot decode is then a malformed response, not an SDK failure."""

    @abc.abstractmethod
    def _open(self, arguments: dict[str, Any]) -> Awaitable[EventStream[Event]]:
        """The SDK call for a stream of events."""

    @abc.abstractmethod
    def _read(self, raw: Raw, request: ChatRequest) -> ChatResponse: ...

    @abc.abstractmethod
    def _assembler(self, request: ChatRequest) -> StreamAssembler[Event]: ...

    def _prompt_overhead(self, request: ChatRequest) -> int:
        """Tokens the provider adds to a request on its own (Anthropic's tool-use system
        prompt), counted by the input check."""
        return 0

    def _prefers_stream(self, request: ChatRequest) -> bool:
        """Whether `complete` should stream and assemble (an SDK may refuse long non-streamed
        calls)."""
        return False

    # -- shared mechanics ---------------------------------------------------------------------

    def _sdk_errors(self, sdk: ModuleType) -> None:
        """Learn the SDK's error classes (both SDKs share the shapes; see errors.translate)."""
        self.status_error = sdk.APIStatusError
        self.api_error = sdk.APIError
        self.connection_errors = (sdk.APIConnectionError, *http_errors("TransportError"))

    def reply_cap(self, request: ChatRequest) -> int | None:
        """The reply cap sent with `request`: the smaller of the request's and the model's."""
        caps = [c for c in (request.max_tokens, self.max_tokens) if c is not None]
        return min(caps) if caps else None

    def _check_input(self, request: ChatRequest) -> None:
        if request.model is not None and request.model != self.model:
            # the bounds, the price and the provider's parameters are this model's
            raise ConfigError(repr(self), "request.model", f"{self.model!r} or None (use one client per model)", request.model)
        if self.max_input_tokens is None:
            return
        bound = input_bound(request, extra_tokens=self._prompt_overhead(request))
        if bound > self.max_input_tokens:
            raise ModelCallError(
                f"{self.provider} model {self.model!r}: the request may exceed max_input_tokens={self.max_input_tokens} "
                f"(up to {bound} tokens: its text in bytes, see input_bound); not sent",
                provider=self.provider,
                model=self.model,
                status=None,
            )

    def _translated(self, error: Exception) -> Exception | None:
        """Our error for an SDK failure, None for anything else (which propagates as it is)."""
        return translate(
            error,
            provider=self.provider,
            model=self.model,
            status_error=self.status_error,
            connection_errors=self.connection_errors,
            api_error=self.api_error,
            secrets=self._secrets,
        )

    def _malformed(self, error: Exception) -> ModelTransientError:
        return malformed_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)

    def _finish(self, response: ChatResponse) -> ChatResponse:
        report_usage(response, self.provider)
        if self.on_response is not None:
            self.on_response(response)
        return response

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One whole reply from the provider (streamed and assembled where the SDK prefers);
        SDK failures become ModelCallError / ModelTransientError with secrets masked."""
        self._check_input(request)
        if self._prefers_stream(request):
            return await self._complete_streamed(request)
        arguments = self._arguments(request)
        mapped: Exception | None = None
        try:
            raw = await self._send(arguments)
        except Exception as error:
            mapped = self._translated(error)
            if mapped is None:
                raise
        if mapped is not None:
            # raised outside the handler, so it has no __context__: the SDK's error holds the
            # request, headers (the key) included, and must not travel with ours
            raise mapped
        try:
            parsed = raw.parse()  # the SDK's json.loads and model building: a bad body fails here
            response = self._read(await parsed if inspect.isawaitable(parsed) else parsed, request)
        except SHAPE_ERRORS as error:
            mapped = self._malformed(error)
        if mapped is not None:
            raise mapped
        return self._finish(response)

    async def _complete_streamed(self, request: ChatRequest) -> ChatResponse:
        async with contextlib.aclosing(self._streamed(request)) as items:
            async for item in items:
                if isinstance(item, ChatResponse):
                    return item
        raise AssertionError("_streamed ends with the reply or an error")  # pragma: no cover

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply's text as it arrives. A stream that ends before the provider says the
        reply is complete raises ModelTransientError (after the text received so far)."""
        self._check_input(request)
        async with contextlib.aclosing(self._streamed(request)) as items:
            async for item in items:
                if isinstance(item, str):
                    yield item

    async def _streamed(self, request: ChatRequest) -> AsyncGenerator[str | ChatResponse, None]:
        """Text deltas as they arrive, then the assembled (and reported) reply."""
        arguments = self._arguments(request)
        assembler = self._assembler(request)
        events: EventStream[Event] | None = None
        mapped: Exception | None = None
        iterator: AsyncIterator[Event] | None = None
        try:
            events = await self._open(arguments)
            iterator = aiter(events)
            async for event in iterator:
                delta = assembler.feed(event)
                if delta:
                    yield delta
        except Exception as error:
            mapped = self._translated(error)
            if mapped is None and iterator is not None and isinstance(error, SHAPE_ERRORS):
                mapped = self._malformed(error)  # reading events went wrong, not opening the call
            if mapped is None:
                raise
        finally:  # the connection goes back to the pool (or is dropped) now, not at GC
            if events is not None:
                with anyio.CancelScope(shield=True):  # even when the consumer was cancelled
                    close_iterator = getattr(iterator, "aclose", None)
                    if close_iterator is not None:
                        await close_iterator()
                    await events.close()
        if mapped is not None:
            raise mapped  # outside the handler: no __context__ (see complete)
        if not assembler.finished():
            raise ModelTransientError(
                f"{self.provider} model {self.model!r}: the stream ended before the reply was complete",
                provider=self.provider,
                model=self.model,
                status=None,
            )
        yield self._finish(assembler.response())


SELF_REPORTING.add(ProviderChatModel.complete)  # every reply goes through _finish, which reports it
