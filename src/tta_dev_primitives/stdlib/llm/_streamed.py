"""`chat_stream(model)`: a chat model's streamed reply as a streaming node."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from ...dsl._streaming import StreamNode, streaming
from .model import ChatModel, ChatRequest
from .prices import DEFAULT_PRICES, ModelPrice
from ._primitive import WATCHED_MODEL, model_call
from ._spend import watched_stream

__all__ = ["chat_stream"]


def chat_stream(
    model: ChatModel, *, name: str | None = None, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES
) -> StreamNode[ChatRequest | str, str, str]:
    """`model.stream(request)` as a `StreamNode[ChatRequest | str, str, str]`: the chunks are
    the reply's text deltas, the joined value its whole text. A string input is the user
    prompt. Marked as a model call like LLMPrimitive (GenAI span attributes, token usage on its
    span, worst-case cost from `prices` for the analysis), so `plan.stream()` delivers tokens
    and retry, fallback and timeout act before the first one. Cost trackers and budgets around
    it are told of the call like an LLMPrimitive's (see `watched_stream`)."""

    async def reply(request: ChatRequest | str) -> AsyncIterator[str]:
        # closed with this generator, not when the loop collects it: its reservation settles at once
        async with contextlib.aclosing(watched_stream(model, ChatRequest.of(request) if isinstance(request, str) else request)) as chunks:
            async for chunk in chunks:
                yield chunk

    setattr(reply, WATCHED_MODEL, model)  # so budgets find the model this node calls (chat_models)
    return model_call(streaming(reply, name=name or f"{model.model} stream"), model, prices)
