"""The model call inside a stateful exchange (an agent's turn, a structured-output re-ask).

`AskNode(llm, request=, fold=)` takes a state `S`, sends `request(state)` through `llm` (any
`Node[ChatRequest, ChatResponse]`: an `LLMPrimitive`, or one wrapped in `Retry`,
`CostTrackingPrimitive`, `BudgetEnforcementPrimitive`...) and returns `fold(state, reply)`.
The model node is the op's child, so EXPLAIN, hooks, spans, guards and the worst-case analysis
see every model call, and cost tracking and budgets apply to agents as to any LLM node.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs

from ...compiler._ir import Edge, Op
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...dsl._core import Node
from ...dsl._function import node
from ...executor._emit import Emitter, Step, emitter
from .model import ChatModel, ChatRequest, ChatResponse, checked_reply
from ._primitive import LLMPrimitive

__all__ = ["BOOKKEEPING_LATENCY", "AskNode", "AskOp", "LLMNode", "as_llm_node", "bookkeeping", "request_settings"]

S = typing.TypeVar("S")
In = typing.TypeVar("In", contravariant=True)
Out = typing.TypeVar("Out", covariant=True)

BOOKKEEPING_LATENCY = 0.001
"""What the in-memory steps of agents and structured output (building the request, checking
whether the loop is done, taking the answer) declare as their worst-case latency: with timeouts
on the model and the tools, an agent's latency then has a bound."""

LLMNode = Node[ChatRequest, ChatResponse]
"""What `agent` and `structured` accept besides a ChatModel: a node answering chat requests."""


def bookkeeping(fn: Callable[[Any], Any], name: str) -> Node[Any, Any]:
    """`fn` (an in-memory step of an agent or structured exchange) as a pure node that declares
    BOOKKEEPING_LATENCY."""
    step: Node[Any, Any] = node(fn, name=name)
    declared = step.declare(max_latency=BOOKKEEPING_LATENCY, pure=True)  # pure: a durable run re-runs it, journals nothing
    return declared._with_traits(internal=True)  # traces leave it out unless asked for every op


SETTINGS = ("temperature", "top_p", "max_tokens", "stop", "seed")
"""The ChatRequest fields that are model settings (what EXPLAIN shows of an ask op)."""


def request_settings(request: ChatRequest) -> tuple[tuple[str, object], ...]:
    """The settings `request` sets, as JSON-compatible pairs (unset ones left out)."""
    pairs = ((field, getattr(request, field)) for field in SETTINGS)
    return tuple((field, list(value) if isinstance(value, tuple) else value) for field, value in pairs if value not in (None, ()))


def as_llm_node(model: ChatModel | LLMNode) -> LLMNode:
    """A ChatModel as its `LLMPrimitive`; a node is used as it is."""
    return model if isinstance(model, Node) else LLMPrimitive(model)


class AskNode(Node[In, Out]):
    """Asks `llm` with `request(state)` and returns `fold(state, reply)`."""

    primitive_type = "ask"

    def __init__(
        self,
        llm: LLMNode,
        *,
        request: Callable[[Any], ChatRequest],
        fold: Callable[[Any, ChatResponse], Any],
        state_type: object,
        settings: tuple[tuple[str, object], ...] = (),
        name: str | None = None,
    ) -> None:
        self.llm = llm
        self.request = request
        self.fold = fold
        self.state_type = state_type
        self.settings = settings
        """The model settings every request carries (shown by EXPLAIN; see `request_settings`)."""
        self._set_name(name)

    def _default_name(self) -> str:
        return f"ask {self.llm.name}"


@attrs.frozen(kw_only=True, eq=False)
class AskOp(Op):
    """children = (llm,): state -> request -> llm -> fold(state, reply)."""

    kind: ClassVar[str] = "ask"

    request: Callable[[Any], ChatRequest]
    fold: Callable[[Any, ChatResponse], Any]
    settings: tuple[tuple[str, object], ...] = ()

    def params(self) -> dict[str, object]:
        return dict(self.settings)

    def edges(self) -> Iterator[Edge]:
        (llm,) = self.children
        yield Edge(self, "request", None, llm, ChatRequest, llm.in_type)
        yield Edge(self, "reply", llm, None, llm.out_type, ChatResponse)


@lowering(AskNode)
def _lower_ask(node: AskNode[typing.Never, object], lw: Lowerer) -> Op:
    return AskOp(
        **op_identity(node, lw),
        in_type=node.state_type,
        out_type=node.state_type,
        children=(lw.lower(node.llm),),
        request=node.request,
        fold=node.fold,
        settings=node.settings,
    )


@emitter(AskOp)
def _emit_ask(op: AskOp, em: Emitter) -> Step:
    llm = em.emit_async(op.children[0])
    model = op.children[0]
    while model.policy() is not None:  # the model under its guards (an agent's default Retry)
        model = model.children[0]
    request, fold, label = op.request, op.fold, model.name

    async def ask(state: object) -> object:
        # a node standing for the model answers in any type at run time: say so, naming it
        return fold(state, checked_reply(label, await llm(request(state)), "execute returned"))

    return Step(ask, True)
