"""Structured output: a model's reply parsed and validated into a type, re-asked on a bad reply.

`structured(model, Invoice)` is a `Node[ChatRequest, Invoice]`. The request carries the JSON
Schema of `Invoice` (clients send it as OpenAI's `response_format` json_schema or Anthropic's tool
use); the reply is decoded and validated by msgspec. A reply that does not fit is sent back with
the validation error, up to `max_repairs` times: the exchange is a `loop`, so the compiler counts
every re-ask in the plan's worst-case calls and cost, and EXPLAIN shows the bound.
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

import attrs

from ...dsl._core import Node
from ...observability._redaction import scrub
from ...errors import ConfigError, StructuredOutputError
from ..._validate import check_non_negative
from ._arguments import MAX_ARGUMENT_DEPTH, nested_deeper
from ._ask import AskNode, LLMNode, as_llm_node, bookkeeping
from .model import ChatMessage, ChatModel, ChatRequest, ChatResponse
from ._schema import WRAPPED, SchemaMismatch, TypeSchema, json_value, object_schema, type_schema

__all__ = ["ReplyFormat", "StructuredOutputError", "structured", "structured_prompt"]

T = TypeVar("T")


@attrs.frozen
class Exchange(Generic[T]):
    """The state of a structured-output exchange: the conversation so far, and the result once a
    reply fitted (or the last reply and why it did not)."""

    request: ChatRequest
    result: T | None = None
    done: bool = False
    last_reply: str = ""
    last_error: str = ""


def _schema_name(output: object) -> str:
    name = getattr(output, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else "output"


@attrs.frozen(eq=False)
class ReplyFormat(Generic[T]):
    """How a reply of type `output` is asked for (`response_format`) and read back: shared by
    `structured` and `agent`."""

    output: type[T]
    name: str
    """The schema's name (Anthropic's answer tool is called by it)."""
    response_format: str
    wrapped: bool
    validator: TypeSchema

    @classmethod
    def of(cls, output: type[T]) -> ReplyFormat[T]:
        """The reply format for `output`: its JSON Schema (wrapped in an object when it is not one) and
        the validator of replies."""
        name = _schema_name(output)
        validator = type_schema(output, where=f"structured output {name}")
        parameters, wrapped = object_schema(validator.schema)
        text = json.dumps({"name": name, "schema": parameters}, sort_keys=True)
        return cls(output, name, text, wrapped, validator)

    def read(self, reply: str) -> T:
        """The reply decoded and validated; raises SchemaMismatch saying why it does not fit.
        Decoded strictly, as tool arguments are (`schema.json_value`): NaN, lone surrogates and
        ints too long to print do not fit, since the value could not be sent on."""
        if not reply.strip():
            raise SchemaMismatch("it is empty")
        if nested_deeper(reply, MAX_ARGUMENT_DEPTH):  # the decoder would raise RecursionError
            raise SchemaMismatch(f"it is JSON nested deeper than {MAX_ARGUMENT_DEPTH} levels")
        try:
            raw: Any = json_value(reply)
        except ValueError as error:  # UnicodeEncodeError too: a lone surrogate in the text itself
            raise SchemaMismatch(f"not JSON: {error}") from None
        if self.wrapped and isinstance(raw, dict) and WRAPPED in raw:
            raw = raw[WRAPPED]
        value: T = self.validator.convert(raw)
        return value


def structured(model: ChatModel | LLMNode, output: type[T], *, max_repairs: int = 2, name: str | None = None) -> Node[ChatRequest, T]:
    """A node asking `model` (a ChatModel, or any `Node[ChatRequest, ChatResponse]`) for a
    reply of type `output`: `Node[ChatRequest, output]`.

    Raises StructuredOutputError (with the last reply and validation error) when no reply fits
    after `max_repairs` re-asks."""
    llm = as_llm_node(model)
    label = name or f"structured({_schema_name(output)})"
    repairs = int(check_non_negative(label, "max_repairs", max_repairs))
    if repairs != max_repairs:
        raise ConfigError(label, "max_repairs", "an int >= 0", max_repairs)
    reply_format = ReplyFormat.of(output)

    def start(request: ChatRequest) -> Exchange[T]:
        return Exchange(attrs.evolve(request, response_format=reply_format.response_format))

    def ask(exchange: Exchange[T], response: ChatResponse) -> Exchange[T]:
        try:
            value = reply_format.read(response.text)
        except SchemaMismatch as error:
            retry = (  # the mismatch is masked: a pydantic validator's message is the developer's text
                *exchange.request.messages,
                ChatMessage("assistant", response.text),
                ChatMessage("user", f"That reply does not fit the schema: {scrub(str(error))}. Reply again with JSON that does."),
            )
            return Exchange(exchange.request.with_messages(retry), last_reply=response.text, last_error=str(error))
        return Exchange(exchange.request, result=value, done=True, last_reply=response.text)

    def fitted(exchange: Exchange[T]) -> bool:
        return exchange.done

    def result(exchange: Exchange[T]) -> T:
        if not exchange.done:
            raise StructuredOutputError(
                f"{label}: no reply of {llm.name!r} fitted {_schema_name(output)} after {repairs} re-ask(s): "
                f"{exchange.last_error}",
                reply=exchange.last_reply,
                error=exchange.last_error,
            )
        return exchange.result  # type: ignore[return-value]

    # the closures' annotations name the concrete output type, so EXPLAIN and the edge checks
    # show Exchange[Invoice] rather than a type variable
    state = Exchange[output]  # type: ignore[valid-type]
    start.__annotations__ = {"request": ChatRequest, "return": state}
    fitted.__annotations__ = {"exchange": state, "return": bool}
    result.__annotations__ = {"exchange": state, "return": output}
    asking: Node[Exchange[T], Exchange[T]] = AskNode(
        llm, request=lambda e: e.request, fold=ask, state_type=state, name=f"ask {llm.name}"
    )
    exchange = asking.loop(until=bookkeeping(fitted, "fitted"), max_iterations=repairs + 1, on_limit="return", name=label)
    checked: Node[Exchange[T], T] = bookkeeping(result, f"{label} result")
    return (bookkeeping(start, "with schema") >> exchange >> checked).named(label)


def structured_prompt(
    model: ChatModel | LLMNode, output: type[T], *, system: str | None = None, max_repairs: int = 2, name: str | None = None
) -> Node[str, T]:
    """`structured` for a plain prompt: `Node[str, output]`."""

    request_model = None if isinstance(model, Node) else model.model

    def request(prompt: str) -> ChatRequest:
        return ChatRequest.of(prompt, system=system, model=request_model)

    prompt: Node[str, ChatRequest] = bookkeeping(request, "prompt")
    built = prompt >> structured(model, output, max_repairs=max_repairs, name=name)
    return built.named(name) if name else built
