"""What both provider clients share: SDK retries off, errors translated, usage reported, and
streams assembled into a full reply (text, tool calls, usage) or failed when cut short."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Generic, Protocol, TypeVar

import anyio

from ....errors import ConfigError
from ....validate import check_positive
from ..model import ChatRequest, ChatResponse, report_usage
from .errors import ModelTransientError, translate, transport_errors

__all__ = ["ProviderChatModel", "StreamAssembler"]

Event = TypeVar("Event")
Raw = TypeVar("Raw")
E_co = TypeVar("E_co", covariant=True)


class EventStream(Protocol[E_co]):
    """An SDK's stream (`openai.AsyncStream`, `anthropic.AsyncStream`): events, then `close`."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None: ...


class StreamAssembler(abc.ABC, Generic[Event]):
    """Folds a provider's stream events into the reply; `feed` returns the text delta (if any)."""

    @abc.abstractmethod
    def feed(self, event: Event) -> str | None: ...

    @abc.abstractmethod
    def finished(self) -> bool:
        """Whether the provider said the reply is complete (finish reason / message_stop)."""

    @abc.abstractmethod
    def response(self) -> ChatResponse: ...


class ProviderChatModel(abc.ABC, Generic[Raw, Event]):
    """A ChatModel over a provider SDK. Subclasses say how to call it and read its answers.

    `max_tokens` caps each reply; `max_input_tokens` (default: the model's context window from
    the price table) bounds what one call can send; together they give the worst-case cost of
    a call that EXPLAIN and budgets use. `on_response` sees every finished reply, streamed
    ones included (e.g. `on_response=tracker.record` to price streams).
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

    def __repr__(self) -> str:  # never the client (it holds the key)
        return f"{type(self).__name__}(model={self.model!r})"

    @abc.abstractmethod
    def _create(self, request: ChatRequest) -> Awaitable[Raw]:
        """The SDK call for a whole reply."""

    @abc.abstractmethod
    def _open_stream(self, request: ChatRequest) -> Awaitable[EventStream[Event]]:
        """The SDK call for a stream of events."""

    @abc.abstractmethod
    def _read(self, raw: Raw, request: ChatRequest) -> ChatResponse: ...

    @abc.abstractmethod
    def _assembler(self, request: ChatRequest) -> StreamAssembler[Event]: ...

    def _sdk_errors(self, sdk: ModuleType) -> None:
        """Learn the SDK's error classes (both SDKs share the shapes; see errors.translate)."""
        self.status_error = sdk.APIStatusError
        self.api_error = sdk.APIError
        self.connection_errors = (sdk.APIConnectionError, *transport_errors(sdk.DefaultAsyncHttpxClient))

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

    def _finish(self, response: ChatResponse) -> ChatResponse:
        report_usage(response, self.provider)
        if self.on_response is not None:
            self.on_response(response)
        return response

    async def complete(self, request: ChatRequest) -> ChatResponse:
        try:
            raw = await self._create(request)
            response = self._read(raw, request)
        except Exception as error:
            mapped = self._translated(error)
            if mapped is None:
                raise
        else:
            return self._finish(response)
        # raised outside the handler, so it has no __context__: the SDK's error holds the
        # request, headers (the key) included, and must not travel with ours
        raise mapped

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply's text as it arrives. A stream that ends before the provider says the
        reply is complete raises ModelTransientError (after the text received so far)."""
        assembler = self._assembler(request)
        events: EventStream[Event] | None = None
        mapped: Exception | None = None
        try:
            events = await self._open_stream(request)
            async for event in events:
                delta = assembler.feed(event)
                if delta:
                    yield delta
        except Exception as error:
            mapped = self._translated(error)
            if mapped is None:
                raise
        finally:  # the connection goes back to the pool (or is dropped) now, not at GC
            if events is not None:
                with anyio.CancelScope(shield=True):  # even when the consumer was cancelled
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
        self._finish(assembler.response())
