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

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar

from .model import ChatModel, ChatRequest, ChatResponse

__all__ = ["SpendWatcher", "watched_call", "watching"]


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


@contextlib.contextmanager
def watching(watcher: SpendWatcher) -> Iterator[None]:
    """`watcher` is told about the model calls made inside the block (innermost last)."""
    token = _scope.set((*_scope.get(), watcher))
    try:
        yield
    finally:
        _scope.reset(token)


async def watched_call(model: ChatModel, request: ChatRequest, call: Callable[[ChatRequest], Awaitable[ChatResponse]]) -> ChatResponse:
    """`call(request)` with every watcher in scope told: starts outermost first (a budget
    refuses before anything is sent), ends innermost first (a tracker prices the reply before
    the budget around it releases its reservation)."""
    watchers = _scope.get()
    if not watchers:
        return await call(request)
    tickets: list[tuple[SpendWatcher, object]] = []
    try:
        for watcher in watchers:
            tickets.append((watcher, watcher.call_starting(model, request)))
        response = await call(request)
    except BaseException:
        for watcher, ticket in reversed(tickets):
            watcher.call_failed(ticket)
        raise
    for watcher, ticket in reversed(tickets):
        watcher.call_done(ticket, response)
    return response
