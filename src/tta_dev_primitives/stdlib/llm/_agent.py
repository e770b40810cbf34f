"""`agent(model, tools, max_turns=, output=)`: a tool-calling agent as a bounded, typed plan.

An agent is a `loop` of turns. A turn asks the model (an `ask` op, see `ask`), then runs every
tool call of that reply concurrently (a `tools` op whose children are the tools' own nodes, so
EXPLAIN, hooks, spans, guards and the worst-case analysis see each tool). The loop ends when the
model answers without calling a tool and the answer fits `output`; `max_turns` bounds it, and
the analysis multiplies the model's and the tools' worst-case calls and cost by it. The model
call runs under a Retry of transient model errors (`model_retry`) unless told otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import operator
import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

import attrs

from ...compiler._ir import Op
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...dsl._core import AnyNode, Node
from ...errors import ConfigError
from ...executor._concurrency import group_error, spawn_all
from ...executor._emit import AsyncFn, Emitter, Step, emitter, node_info
from ...executor._notes import note
from ...executor._shield import cancelled_by_itself
from ..._validate import check_int
from .._guard import GuardSite
from ._ask import AskNode, LLMNode, as_llm_node, bookkeeping, request_settings
from ._primitive import LLMPrimitive
from ._retrying import MODEL_RETRY, has_retry
from .prices import call_cost_bound
from ..recovery._retry import Retry
from .model import ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall
from ._schema import SchemaMismatch
from ._structured import ReplyFormat
from ...observability._redaction import scrub
from ...observability._semconv import SPAN_KIND
from ._tools import AnyTool, Tool, ToolResult, answer

__all__ = ["Transcript", "agent"]

T = TypeVar("T")
In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)


@attrs.frozen
class Transcript(Generic[T]):
    """An agent's state: the conversation so far (with the tools offered), the tool calls the
    last reply asked for, and the output once the model has given one that fits."""

    request: ChatRequest
    turns: int = 0
    pending: tuple[ToolCall, ...] = ()
    done: bool = False
    output: T | None = None


DEFAULT_MAX_TOOL_CALLS = 8
"""Tool calls an agent runs per turn unless told otherwise (more come back as errors)."""


class ToolDispatchNode(Node[In, Out]):
    """Runs the pending tool calls of a Transcript concurrently (at most `max_calls`; the rest
    are answered with an error); its children are the tools."""

    primitive_type = "tools"

    def __init__(
        self,
        tools: Sequence[AnyTool],
        *,
        state_type: object = None,
        max_calls: int = DEFAULT_MAX_TOOL_CALLS,
        last_turn: int | None = None,
        name: str | None = None,
    ) -> None:
        self.last_turn = last_turn
        """The agent's `max_turns`: calls asked for in that turn are left pending (no model call
        would read their results, so tools with effects must not run for nothing)."""
        self.tools = tuple(tools)
        self.state_type = state_type if state_type is not None else Transcript
        """The Transcript type flowing through (`Transcript[Output]` in an agent)."""
        self.max_calls = check_int(name or "tools", "max_tool_calls", max_calls, minimum=1)
        self._set_name(name)

    def _default_name(self) -> str:
        return f"tools({', '.join(t.name for t in self.tools)})"


@attrs.frozen(kw_only=True, eq=False)
class ToolDispatchOp(Op):
    """children: one op per tool, in the order of `tools`."""

    kind: ClassVar[str] = "tools"

    tools: tuple[AnyTool, ...]
    max_calls: int
    last_turn: int | None = None

    def params(self) -> dict[str, object]:
        return {"tools": [t.name for t in self.tools], "max_calls": self.max_calls}

    def dispatch_limit(self) -> int:
        return self.max_calls


@lowering(ToolDispatchNode)
def _lower_dispatch(node_: ToolDispatchNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node_, lw)
    children = tuple(lw.lower(t.node) for t in node_.tools)
    state = node_.state_type
    return ToolDispatchOp(**ident, in_type=state, out_type=state, children=children, tools=node_.tools, max_calls=node_.max_calls, last_turn=node_.last_turn)


@emitter(ToolDispatchOp)
def _emit_dispatch(op: ToolDispatchOp, em: Emitter) -> Step:
    runners: dict[str, tuple[AnyTool, AsyncFn]] = {
        t.name: (t, em.emit_async(child)) for t, child in zip(op.tools, op.children, strict=True)
    }

    limit, last_turn = op.max_calls, op.last_turn
    site = GuardSite(node_info(op), em.hooks, durable=em.durable)
    keyed = {name: site.numbered(run) for name, (_, run) in runners.items()} if em.durable else None

    tell = site.emit if em.hooks is not None else None  # no hooks: no event to build per call

    async def call(tool_call: ToolCall, index: int) -> ChatMessage:
        found = runners.get(tool_call.name)
        if tell is not None:
            tell("on_tool_call", tool_call.name, tool_call.id)
        if index >= limit:  # not run: the analysis (and the user's budget) counted `limit` calls
            result = ToolResult(tool_call.name, error=f"not run: at most {limit} tool calls per turn; call it again next turn")
        elif found is None:
            result = ToolResult(tool_call.name, error=f"no tool named {tool_call.name!r}; the tools are {sorted(runners)}")
        else:
            try:
                run = found[1]
                if keyed is not None:  # a durable run: call i of this turn journals under a path of its own
                    numbered = keyed[tool_call.name]
                    assert numbered is not None
                    run = functools.partial(numbered, index)
                result = await answer(found[0], tool_call.arguments, run)
            except asyncio.CancelledError:
                if not cancelled_by_itself():
                    raise
                # the tool raised a stray CancelledError (a future someone else cancelled): its
                # failure, reported like any other; the agent itself was not cancelled
                result = ToolResult(tool_call.name, error="the call was cancelled (by the tool itself, not the agent)")
        return ChatMessage("tool", result.content(), tool_call_id=tool_call.id, is_error=result.error is not None)

    async def dispatch(state: object) -> object:
        transcript = typing.cast("Transcript[object]", state)
        calls = transcript.pending
        if not calls or (last_turn is not None and transcript.turns >= last_turn):
            return transcript  # the calls stay pending: LoopLimitError shows them
        request = transcript.request
        if len(calls) == 1:  # the common turn: one call, awaited in place (no task, no list of answers)
            try:
                only = await call(calls[0], 0)
            except Exception as error:
                note(error, f"in tool call 0 ({calls[0].name}) of {op.name!r}")
                raise
            return Transcript(request.with_messages((*request.messages, only)), transcript.turns)
        answers: list[ChatMessage | None] = [None] * len(calls)

        async def one(i: int) -> None:
            try:
                answers[i] = await call(calls[i], i)
            except Exception as error:
                note(error, f"in tool call {i} ({calls[i].name}) of {op.name!r}")
                raise

        try:
            await spawn_all(len(calls), one)
        except ExceptionGroup as group:  # an error no model can fix, as parallel branches report one
            raise group_error(group, "tool calls", len(calls), op.name, str(op.location)) from None
        unanswered = "error: the call ended without an answer"
        messages = (
            *request.messages,
            *(a or ChatMessage("tool", unanswered, tool_call_id=c.id, is_error=True) for a, c in zip(answers, calls, strict=True)),
        )  # every call gets its message: providers reject a conversation with an unanswered call
        return Transcript(request.with_messages(messages), transcript.turns)

    return Step(dispatch, True)


@overload
def agent(
    model: ChatModel | LLMNode,
    tools: Sequence[AnyTool],
    *,
    max_turns: int,
    output: type[T],
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    system: str | None = None,
    name: str | None = None,
    retry: Retry | None = MODEL_RETRY,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    stop: str | Sequence[str] = (),
    seed: int | None = None,
) -> Node[str, T]: ...
@overload
def agent(
    model: ChatModel | LLMNode,
    tools: Sequence[AnyTool],
    *,
    max_turns: int,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    system: str | None = None,
    name: str | None = None,
    retry: Retry | None = MODEL_RETRY,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    stop: str | Sequence[str] = (),
    seed: int | None = None,
) -> Node[str, str]: ...
def agent(
    model: ChatModel | LLMNode,
    tools: Sequence[AnyTool],
    *,
    max_turns: int,
    output: type[Any] = str,
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS,
    system: str | None = None,
    name: str | None = None,
    retry: Retry | None = MODEL_RETRY,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    stop: str | Sequence[str] = (),
    seed: int | None = None,
) -> Node[str, Any]:
    """A tool-calling agent: `Node[str, output]` from a prompt.

    `model` is a ChatModel, or any `Node[ChatRequest, ChatResponse]` (e.g. an LLMPrimitive under
    Retry, CostTrackingPrimitive or BudgetEnforcementPrimitive: every turn's call goes through
    it). Each turn asks the model; its tool calls run concurrently (each under the guards of its own
    node); their results go back as tool messages. The agent answers when the model replies
    without tool calls and the reply fits `output` (a reply that does not fit is sent back with
    the error, taking a turn; an empty or blank reply without tool calls is no answer, for
    `output=str` too, and is asked again the same way). Past `max_turns`, LoopLimitError
    carries the Transcript. At most
    `max_tool_calls` calls run per turn (the rest are answered with an error the model can
    read), so the analysis can bound what the tools cost: `max_tool_calls` calls of the
    costliest tool per turn.

    Each model call runs under `retry`: by default `model_retry()` (3 attempts, on
    ModelTransientError only: rate limits, overload, server errors; backoff with jitter,
    honouring the provider's Retry-After), which EXPLAIN shows and the analysis multiplies.
    Give another `Retry` (e.g. `model_retry(max_attempts=5)`), or None for no retry; a `model`
    node that already has a Retry inside gets no default one.

    `temperature`, `top_p`, `max_tokens`, `stop` and `seed` go on every request (see
    ChatRequest): unset ones are not sent, so the provider's defaults apply. `max_tokens` caps
    each reply, and so lowers the worst-case cost of a call when the model is a ChatModel.
    """
    llm = as_llm_node(model)
    settings = ChatRequest.of("", temperature=temperature, top_p=top_p, max_tokens=max_tokens, stop=stop, seed=seed)
    if max_tokens is not None and isinstance(llm, LLMPrimitive) and llm is not model:  # built here: its bound may use the cap
        bound = call_cost_bound(llm.model, max_tokens=max_tokens)
        llm = llm.declare(cost=bound) if bound is not None else llm
    label = name or f"agent({llm.name})"
    model_name = llm.name
    if retry is not None and not (retry is MODEL_RETRY and has_retry(llm)):
        llm = retry(llm)
    request_model = None if isinstance(model, Node) else model.model
    tools = tuple(tools)
    names = [t.name for t in tools]
    if not all(isinstance(t, Tool) for t in tools):
        raise ConfigError(label, "tools", "Tool objects (see tool())", tools)
    if len(set(names)) != len(names):
        raise ConfigError(label, "tools", "tools with distinct names", names)
    reply_format = ReplyFormat.of(output) if output is not str else None
    answer_name = reply_format.name if reply_format is not None else None
    if answer_name in names:  # providers that answer through a tool (Anthropic) would mix them up
        raise ConfigError(label, "tools", f"no tool named like the output type {answer_name!r}", names)
    specs = tuple(t.spec() for t in tools)
    response_format = reply_format.response_format if reply_format is not None else None
    # every run's first request but for its conversation, built once: it depends only on the agent
    first = attrs.evolve(settings, model=request_model, tools=specs, response_format=response_format)
    opening = ChatRequest.of("", system=system).messages[:-1]  # the system message, if any

    def start(prompt: str) -> Transcript[Any]:
        return Transcript(first.with_messages((*opening, ChatMessage("user", prompt))))

    def think(transcript: Transcript[Any], response: ChatResponse) -> Transcript[Any]:
        messages = (*transcript.request.messages, response.message())
        request, turns = transcript.request.with_messages(messages), transcript.turns + 1
        mismatch = "it is empty"
        if reply_format is not None and response.text:
            try:  # a typed answer that fits ends the agent, even beside tool calls
                return Transcript(request, turns, done=True, output=reply_format.read(response.text))
            except SchemaMismatch as error:
                mismatch = scrub(str(error))  # a pydantic validator's message is the developer's text
        if response.tool_calls:
            return Transcript(request, turns, pending=response.tool_calls)
        if response.truncated:  # cut at the reply cap: not an answer
            retry = (*messages, ChatMessage("user", "Your reply was cut off at the length limit. Answer again, shorter."))
            return Transcript(request.with_messages(retry), turns)
        if reply_format is None:
            if response.text.strip():
                return Transcript(request, turns, done=True, output=response.text)
            # neither text nor a tool call: no answer (an empty str is none), so ask again
            retry = (*messages, ChatMessage("user", "Your reply was empty. Answer, or call a tool."))
            return Transcript(request.with_messages(retry), turns)
        retry = (*messages, ChatMessage("user", f"That answer does not fit the schema: {mismatch}. Answer again."))
        return Transcript(request.with_messages(retry), turns)

    def finished(transcript: Transcript[Any]) -> bool:
        return transcript.done

    def answer(transcript: Transcript[Any]) -> Any:
        return transcript.output

    state = Transcript[output]  # type: ignore[valid-type]
    start.__annotations__ = {"prompt": str, "return": state}
    finished.__annotations__ = {"transcript": state, "return": bool}
    answer.__annotations__ = {"transcript": state, "return": output}
    asking = typing.cast(
        "Node[Transcript[Any], Transcript[Any]]",
        AskNode(llm, request=operator.attrgetter("request"), fold=think, state_type=state, name=f"ask {model_name}", settings=request_settings(settings)),
    )
    dispatch: AnyNode = ToolDispatchNode(tools, state_type=state, max_calls=max_tool_calls, last_turn=max_turns, name=f"tools({', '.join(names)})")
    acting = typing.cast("Node[Transcript[Any], Transcript[Any]]", dispatch)
    turn = (asking >> acting).named(f"{label} turn")
    turns = turn.loop(until=bookkeeping(finished, "finished"), max_iterations=max_turns, name=label)
    finish = typing.cast("Node[Transcript[Any], Any]", bookkeeping(answer, f"{label} answer"))
    built: Node[str, Any] = (bookkeeping(start, "prompt") >> turns >> finish).named(label)
    return built.with_attributes(**{SPAN_KIND: "AGENT"})  # OpenInference: trace UIs show it as an agent
