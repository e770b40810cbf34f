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

from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token

from .model import ChatModel, ChatRequest, ChatResponse

__all__ = ["SpendWatcher", "enter", "leave", "watched_call"]


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


_scope: ContextVar[tuple[SpendWatcher, ...]] = ContextVar("tta_spend_scope", default=())


def enter(watcher: SpendWatcher) -> Token[tuple[SpendWatcher, ...]]:
    """From now on (until `leave`), `watcher` is told about the model calls made in this
    context and the tasks it starts (innermost last). A token, not a context manager: this
    runs on every guarded call."""
    return _scope.set((*_scope.get(), watcher))


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


async def _watched(
    watchers: tuple[SpendWatcher, ...], model: ChatModel, request: ChatRequest, call: Callable[[ChatRequest], Awaitable[ChatResponse]]
) -> ChatResponse:
    tickets: list[tuple[SpendWatcher, object]] = []
    try:
        for watcher in watchers:
            tickets.append((watcher, watcher.call_starting(model, request)))
        response = await call(request)
    except BaseException:
        for watcher, ticket in reversed(tickets):
            watcher.call_failed(ticket)
        raise
    failure: BaseException | None = None
    for watcher, ticket in reversed(tickets):  # every watcher settles, even when one of them raises
        try:
            watcher.call_done(ticket, response)
        except BaseException as error:  # noqa: BLE001 - re-raised below, once all have settled
            failure = failure or error
    if failure is not None:
        raise failure
    return response
