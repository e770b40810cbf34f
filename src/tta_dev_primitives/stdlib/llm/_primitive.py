"""LLMPrimitive: a chat model as a typed node (`Node[ChatRequest, ChatResponse]`), and the
marking every node that calls a model shares (`model_call`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Mapping
from contextvars import ContextVar
from types import CoroutineType
from typing import TypeVar

from ...compiler._ir import CallOp, Op, walk
from ...context import RunContext, _same_call
from ...compiler._lowering import Lowerer, call_op, lowering
from ...dsl._core import AnyNode
from ...dsl._introspect import CallableInfo, qualified_name
from ...errors import ChatModelReplyError
from ...observability._tracing import genai
from .._compiled import CompiledPrimitive
from .model import ChatModel, ChatRequest, ChatResponse, checked_reply, model_label, report_usage, reports_own_usage
from .prices import DEFAULT_PRICES, ModelPrice, call_cost_bound
from ._spend import watched_call

__all__ = ["WATCHED_MODEL", "LLMPrimitive", "chat_models", "model_call", "unwatched_model_calls"]

WATCHED_MODEL = "_tta_watched_model"
"""The attribute naming the ChatModel a node's function calls through the spend scopes
(`chat_stream`); an LLMPrimitive's call is found by its owner."""

N = TypeVar("N", bound=AnyNode)


def model_call(call: N, model: ChatModel, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> N:
    """`call` (a node that calls `model` once per run) marked as such: its spans carry the
    GenAI attributes, and it declares the worst-case cost of one call (see `call_cost_bound`)
    so EXPLAIN, the analysis and compile-time budgets count model spend."""
    marked = genai(call, provider=model.provider, model=model.model)
    bound = call_cost_bound(model, prices)
    return marked.declare(cost=bound) if bound is not None else marked


class LLMPrimitive(CompiledPrimitive[ChatRequest, ChatResponse]):
    """Calls `model.complete`; spans carry the OpenTelemetry GenAI attributes and token usage.
    Calling `execute` directly runs it as a plan too, so the call has its own span."""

    primitive_type = "llm"

    def __init__(self, model: ChatModel, *, name: str | None = None, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        """`prices` price the worst case of a call for the analysis (give the same mapping as to
        CostTrackingPrimitive when you price models yourself)."""
        self.model = model
        self._set_name(name or model.model)
        # idempotent: a chat completion has no effect a second call repeats (a Retry may run it again)
        self._tta_traits = model_call(self, model, prices).declare(idempotent=True).traits

    async def execute(self, input_data: ChatRequest, context: RunContext | None = None) -> ChatResponse:
        """Call the model on `input_data`. Called directly (as in the original package, or from inside another
        node) it runs as a plan of its own, so the call has its own span and the cost trackers
        and budgets in scope see it; as this node's own step (a subclass's `execute` calling
        `super().execute`) it is the call itself."""
        if _own_call.get() is self:
            return await self.complete(input_data)
        # a plan of its own; if a subclass's execute called us (super().execute), it has run
        # already: the plan's node makes the call itself
        direct = _direct_call.set(self if type(self).execute is not LLMPrimitive.execute else None)
        same = _same_call.set(True)  # the calling node's call: its idempotency key goes with it
        try:
            return await super().execute(input_data, context)
        finally:
            _same_call.reset(same)
            _direct_call.reset(direct)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One call of the model, its usage on the current span. Override this, or `execute`,
        to change the call: in a plan the node runs yours, with the cost trackers and budgets
        around it told of the call (see spend.py)."""
        model = self.model
        call = model.complete(request)
        if type(call) is not CoroutineType and not inspect.isawaitable(call):  # a `def complete`: awaiting it would say only "can't be used in 'await'"
            raise ChatModelReplyError(model_label(model), "complete returned", call, "an awaitable (complete must be async def)")
        response = checked_reply(model, await call)  # every ChatModel call comes here
        if not reports_own_usage(model):  # any other ChatModel's usage goes on the span here
            report_usage(response, model.provider)
        return response

    def _node_call(self, request: ChatRequest, context: RunContext) -> Awaitable[ChatResponse]:
        """What the node runs in a plan: this primitive's call (a subclass's own `execute` or
        `complete`), watched by the trackers and budgets in scope. The one place calls are
        watched, so an override cannot slip past a budget, and nothing is watched twice."""
        if type(self).execute is not LLMPrimitive.execute and _direct_call.get() is not self:
            return watched_call(self.model, request, lambda r: self._own_execute(r, context))
        return watched_call(self.model, request, self.complete)

    async def _own_execute(self, request: ChatRequest, context: RunContext) -> ChatResponse:
        mine = _own_call.set(self)  # its super().execute is this call, not a plan of its own
        try:
            return await self.execute(request, context)
        finally:
            _own_call.reset(mine)


_own_call: ContextVar[LLMPrimitive | None] = ContextVar("tta_llm_own_call", default=None)
"""The primitive whose own (overridden) execute is running as its node's call."""
_direct_call: ContextVar[LLMPrimitive | None] = ContextVar("tta_llm_direct_call", default=None)
"""The primitive whose overridden execute, called directly, is running its call as a plan."""


@lowering(LLMPrimitive)
def _lower_llm(node: LLMPrimitive, lw: Lowerer) -> Op:
    info = CallableInfo(
        name=node.name,
        is_async=True,  # _node_call returns the call's awaitable (no coroutine of its own in between)
        arity=2,
        in_type=ChatRequest,
        out_type=ChatResponse,
        qualname=f"{qualified_name(type(node))}.complete",
    )
    return call_op(node, lw, node._node_call, info)


def _watched_model(op: CallOp) -> ChatModel | None:
    owner = getattr(op.fn, "__self__", None)
    if isinstance(owner, LLMPrimitive):
        return owner.model
    model: ChatModel | None = getattr(op.fn, WATCHED_MODEL, None)
    return model


def chat_models(root: Op) -> list[ChatModel]:
    """The chat models called under `root` where trackers and budgets see each call (by
    LLMPrimitives and `chat_stream` nodes): what a hard budget bounds calls by."""
    models = (_watched_model(op) for op in walk(root) if isinstance(op, CallOp))
    return list({id(m): m for m in models if m is not None}.values())


def unwatched_model_calls(root: Op) -> list[Op]:
    """Leaves under `root` that call a model their own way (declared `model_calls`, or marked as
    model calls) where no spend scope sees the call, and LLM calls sent to another process
    (`.remote()`), where no scope reaches."""
    from ...compiler.passes._analyze import model_calls_of

    found: list[Op] = []
    for op in walk(root):
        if op.kind == "remote" and chat_models(op):
            found.append(op)
        elif isinstance(op, CallOp) and model_calls_of(op) and _watched_model(op) is None:
            found.append(op)
    return found
