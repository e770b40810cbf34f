"""Spend scopes: cost trackers and budgets watch every model call made inside the node they
guard, where it is made, with the request it is made with.

A guard at the boundary only sees the value its node returns: not a second model call inside,
nor a request that a step before the model grew. So `CostTracker` and budgets open a scope (a
context variable, inherited by the tasks the call starts) for the duration of their node's call,
and `LLMPrimitive.complete` tells every watcher in scope about each call: before it is made (a
hard budget reserves its worst case, or refuses it), and when it ends (a tracker records the
reply, a budget settles).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from contextvars import ContextVar, Token

from ...errors import ChatModelReplyError
from .model import ChatModel, ChatRequest, ChatResponse, model_label, usage_reports

__all__ = ["SpendWatcher", "enter", "in_scope", "leave", "watched_call", "watched_stream"]


class SpendWatcher:
    """What a scope's owner is told about each model call inside it (no-ops by default)."""

    def call_starting(self, model: ChatModel, request: ChatRequest) -> object:
        """Before the call; raise to refuse it (nothing is sent). Returns a ticket handed back
        when the call ends."""
        return None

    def call_done(self, ticket: object, response: ChatResponse) -> None:
        """The call returned `response`."""

    def call_failed(self, ticket: object) -> None:
        """The call raised or was cancelled (no reply to price)."""

    def call_unmetered(self, ticket: object) -> None:
        """The call was made, and may be billed, but its usage is unknown: a stream closed
        after its first chunk, or one whose model reported no usage. As `call_failed` unless
        overridden (a budget counts it at its reservation)."""
        self.call_failed(ticket)


_scope: ContextVar[tuple[SpendWatcher, ...]] = ContextVar("tta_spend_scope", default=())


def enter(watcher: SpendWatcher) -> Token[tuple[SpendWatcher, ...]]:
    """From now on (until `leave`), `watcher` is told about the model calls made in this
    context and the tasks it starts (innermost last). A watcher in scope already (one tracker
    around an agent and around the sub-agent it calls) is not added again: each call is told
    once. A token, not a context manager: this runs on every guarded call."""
    current = _scope.get()
    return _scope.set(current if watcher in current else (*current, watcher))


def in_scope(watcher: SpendWatcher) -> bool:
    """Whether `watcher` (or one equal to it) is told about the calls made here already."""
    return watcher in _scope.get()


def leave(token: Token[tuple[SpendWatcher, ...]]) -> None:
    """End what `enter` began."""
    _scope.reset(token)


def watched_call(model: ChatModel, request: ChatRequest, call: Callable[[ChatRequest], Awaitable[ChatResponse]]) -> Awaitable[ChatResponse]:
    """`call(request)` with every watcher in scope told: starts outermost first (a budget
    refuses before anything is sent), ends innermost first (a tracker prices the reply before
    the budget around it releases its reservation). Outside any scope it is `call(request)`
    itself: no coroutine of ours in between."""
    watchers = _scope.get()
    return call(request) if not watchers else _watched(watchers, model, request, call)


def _started(watchers: tuple[SpendWatcher, ...], model: ChatModel, request: ChatRequest) -> list[tuple[SpendWatcher, object]]:
    """Each watcher's ticket, outermost first; if one refuses, those before it are released."""
    tickets: list[tuple[SpendWatcher, object]] = []
    try:
        for watcher in watchers:
            tickets.append((watcher, watcher.call_starting(model, request)))
    except BaseException:
        _failed(tickets)
        raise
    return tickets


def _failed(tickets: list[tuple[SpendWatcher, object]]) -> None:
    _settle_all(tickets, lambda watcher, ticket: watcher.call_failed(ticket))


def _settle_all(tickets: list[tuple[SpendWatcher, object]], settle: Callable[[SpendWatcher, object], None]) -> None:
    """`settle` each ticket, innermost first; every watcher settles even when one raises (the
    first error is raised once all have)."""
    failure: BaseException | None = None
    for watcher, ticket in reversed(tickets):
        try:
            settle(watcher, ticket)
        except BaseException as error:  # noqa: BLE001 - re-raised below, once all have settled
            failure = failure or error
    if failure is not None:
        raise failure


async def _watched(
    watchers: tuple[SpendWatcher, ...], model: ChatModel, request: ChatRequest, call: Callable[[ChatRequest], Awaitable[ChatResponse]]
) -> ChatResponse:
    tickets = _started(watchers, model, request)
    try:
        response = await call(request)
    except BaseException:
        _failed(tickets)
        raise
    _done(tickets, response)
    return response


def _done(tickets: list[tuple[SpendWatcher, object]], response: ChatResponse) -> None:
    _settle_all(tickets, lambda watcher, ticket: watcher.call_done(ticket, response))


async def watched_stream(model: ChatModel, request: ChatRequest) -> AsyncGenerator[str, None]:
    """`model.stream(request)` with every watcher in scope told, like `watched_call`: before the
    stream is opened, and when it ends with the reply the model reported (see `usage_reports`).
    One that fails before its first chunk is a failed call; one closed or failing after it, or
    whose model reports no usage, is unmetered (a budget counts it at its reservation; a
    tracker has nothing to record)."""
    watchers = _scope.get()
    if not watchers:
        opened = _opened(model, request)
        try:
            async for chunk in opened:
                yield _text(model, chunk)
        finally:  # closed here, also when a chunk is refused or the reader stops early
            closing = getattr(opened, "aclose", None)
            if closing is not None:
                await closing()
        return
    tickets = _started(watchers, model, request)
    reports: list[ChatResponse] = []
    started = False
    chunks: AsyncIterator[str] | None = None
    try:
        chunks = _opened(model, request)  # inside: a stream refused as it is opened releases its tickets
        while True:
            listening = usage_reports.set(reports)  # set and reset in one step of this generator: one context
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            finally:
                usage_reports.reset(listening)
            text = _text(model, chunk)
            started = True
            yield text
    except BaseException:
        if reports:  # closed early, but the model had reported the call
            _done(tickets, reports[-1])
        elif started:
            _unmetered(tickets)
        else:
            _failed(tickets)
        raise
    finally:
        closing = getattr(chunks, "aclose", None)
        if closing is not None:
            await closing()
    if reports:
        _done(tickets, reports[-1])
    else:
        _unmetered(tickets)


def _opened(model: ChatModel, request: ChatRequest) -> AsyncIterator[str]:
    """`model.stream(request)` as an async iterator: the one place every model stream is
    opened, so a `stream` that is not an async generator (an `async def` returning the text)
    is a ChatModelReplyError naming the model, not a TypeError from deep inside the run."""
    stream: object = model.stream(request)
    if not isinstance(stream, AsyncIterable):
        if inspect.iscoroutine(stream):
            stream.close()  # never awaited, and never warned about
        raise ChatModelReplyError(model_label(model), "stream returned", stream, "an async iterator of str")
    return aiter(stream)


def _text(model: ChatModel, chunk: object) -> str:
    """A chunk of the model's stream, which must be text."""
    if not isinstance(chunk, str):
        raise ChatModelReplyError(model_label(model), "stream yielded", chunk, "a str")
    return chunk


def _unmetered(tickets: list[tuple[SpendWatcher, object]]) -> None:
    _settle_all(tickets, lambda watcher, ticket: watcher.call_unmetered(ticket))
