"""Tools: typed nodes a model can call, with a JSON Schema and validation taken from the input type.

`tool(fn_or_node)` reads the input type (attrs classes, dataclasses, TypedDict, NamedTuple,
Literal, Enum, Optional/unions, lists, dicts, primitives; pydantic models) and asks msgspec (or
pydantic) for its JSON Schema and for validation (see `schema`). A model's arguments that do not
fit come back as an error result the model can read and correct, never as a crash.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast, overload

from typing_extensions import Never

import attrs

from ...compiler._ir import CallOp, ConstOp, SeqOp
from ...observability._redaction import scrub
from ...observability import _semconv as semconv
from ...compiler._program import Program
from ...compiler._subplan import PlanNode
from ...dsl import _fluent as fluent
from ...dsl._core import Node
from ...dsl._function import FunctionNode
from ...dsl._function import node as as_function_node
from ...dsl._types import UNKNOWN
from ...errors import BuildError, ChatModelReplyError, CompositionError, ConfigError
from ..._validate import check_name
from ._arguments import MAX_RESULT_DEPTH, ToolArgumentsError, check_arguments, nested_deeper
from .model import ToolSpec
from ._schema import WRAPPED, TypeSchema, convert_input, field_checker, json_text, json_value, object_schema, type_schema

if TYPE_CHECKING:
    from ...plan import Plan

__all__ = ["AnyTool", "Tool", "ToolArgumentsError", "ToolResult", "answer", "tool"]

A = TypeVar("A")
R = TypeVar("R")

TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""The tool names OpenAI and Anthropic both accept."""


NO_ARGUMENTS = TypeSchema(object, {"type": "object", "properties": {}}, lambda raw: None, "none")
"""The parameters of a tool whose function takes no parameters: any object is accepted, the
function ignores it (deliberately open: nothing a model sends could change what such a tool
does, so a stray argument is no reason to fail its call). A parameter typed
`object` takes any JSON, as `Any` does: see schema. Every other tool's parameters are closed:
an argument the input type does not have is refused, naming the ones it has."""

_ENVELOPE = field_checker({"type": "object", "properties": {WRAPPED: {}}, "additionalProperties": False})
"""Checks the fields of the `{"input": ...}` object around an input that is not a JSON object."""


@attrs.frozen
class ToolResult:
    """What a tool call gives back to the model: the result, or an error message it can act on."""

    tool: str
    value: object = None
    error: str | None = None
    text: str | None = attrs.field(default=None, repr=False)
    """The value as sent to the model, when already encoded (see `answer`)."""

    @property
    def is_error(self) -> bool:
        """Whether the call failed (its `error` is what the model is told)."""
        return self.error is not None

    def content(self) -> str:
        """The text sent back to the model: the value as JSON (or text), or the error."""
        if self.error is not None:
            return f"error: {self.error}"
        if self.text is not None:
            return self.text
        if isinstance(self.value, str):
            return self.value
        return json_text(self.value)


class AnyTool(Protocol):
    """Any Tool, whatever its argument and result types (what an agent takes a list of)."""

    @property
    def name(self) -> str:
        """The tool's name, as the model calls it."""
        ...

    @property
    def node(self) -> Node[Never, object]:
        """The node a call of the tool runs."""
        ...

    def spec(self) -> ToolSpec:
        """What a request tells the model about the tool (name, description, JSON Schema)."""
        ...

    def parse(self, arguments: str | bytes | Mapping[str, object]) -> object:
        """The tool's input from the model's arguments, validated (ToolArgumentsError if not)."""
        ...


@attrs.frozen(eq=False)
class Tool(Generic[A, R]):
    """A node a model can call: its name, description, JSON Schema parameters and plan."""

    name: str
    description: str
    plan: Plan[A, R]
    node: Node[A, R]
    """What runs the tool inside an agent's plan (the tool's own node, or one running its plan)."""
    input_type: object
    parameters: Mapping[str, object]
    wrapped: bool
    """Whether the input sits in `{"input": ...}` (input types that are not JSON objects)."""
    validator: TypeSchema
    """The input type's schema and validator (msgspec's, or pydantic's for pydantic models)."""

    def spec(self) -> ToolSpec:
        """The tool as a request carries it to the model."""
        return ToolSpec(self.name, self.description, _schema_text(self.parameters))

    def definition(self) -> dict[str, object]:
        """The tool as providers describe one: name, description and JSON Schema parameters."""
        return {"name": self.name, "description": self.description, "parameters": dict(self.parameters)}

    def parse(self, arguments: str | bytes | Mapping[str, object]) -> A:
        """The model's arguments (JSON text or a decoded object) as a value of the input type.

        Raises ToolArgumentsError naming the tool and the offending field (ArgumentLimitError
        for arguments beyond MAX_ARGUMENT_DEPTH or MAX_ARGUMENT_BYTES, see `arguments`)."""
        check_arguments(arguments, tool=self.name)  # before decoding: nothing below may recurse without bound
        try:
            raw = json_value(arguments) if isinstance(arguments, (str, bytes)) else arguments
        except ValueError as error:  # not JSON, or JSON Python would choke on (lone surrogates, huge ints)
            raise ToolArgumentsError(self.name, "arguments", f"a JSON object ({error})", arguments) from None
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise ToolArgumentsError(self.name, "arguments", "a JSON object", raw)
        if self.wrapped:
            if WRAPPED not in raw:
                raise ToolArgumentsError(self.name, "arguments", f'an object with an "{WRAPPED}" field', raw)
            unknown = _ENVELOPE(raw) if len(raw) > 1 else None  # one field, and it is "input"
            if unknown is not None:
                raise ToolArgumentsError(self.name, "arguments", f'an object with only an "{WRAPPED}" field ({unknown})', raw)
            raw = raw[WRAPPED]
        value: A = convert_input(self.validator, raw, where=self.name, field="arguments", error=ToolArgumentsError)
        return value

    async def invoke(self, arguments: str | bytes | Mapping[str, object]) -> ToolResult:
        """Validate the arguments and run the tool. Invalid arguments and errors the tool raises
        come back as an error result for the model, never as an exception; cancellation and
        fatal errors (KeyboardInterrupt, ...) propagate."""
        return await answer(self, arguments, self.plan.run)


async def answer(
    tool: AnyTool, arguments: str | bytes | Mapping[str, object], run: Callable[[Any], Awaitable[object]]
) -> ToolResult:
    """Validate `arguments` for `tool` and `run` it on them (its plan, or its node inside an
    agent's plan). Invalid arguments and errors the tool raises become an error result for the
    model; errors no model can fix (`_unfixable`), cancellation and fatal errors propagate."""
    try:
        value = tool.parse(arguments)
    except ToolArgumentsError as error:
        return ToolResult(tool.name, error=scrub(str(error)))  # a pydantic validator's message is the tool's own text
    try:
        result = await run(value)
    except Exception as error:  # the model reads what went wrong and may try again...
        if _unfixable(error):  # ...unless nothing it could do would help: the developer must see it
            raise
        return ToolResult(tool.name, error=error_text(error))
    try:
        if type(result) is str and result.isascii():  # most tools' results: text any request carries
            text = result
        else:
            text = _sendable_text(result) if isinstance(result, str) else _bounded(json_text(result))
    except (TypeError, ValueError, RecursionError) as error:  # the tool ran; say so, and why its result cannot travel
        return ToolResult(tool.name, error=f"{tool.name} ran but returned a {type(result).__name__}, which cannot be sent as JSON: {scrub(str(error))}")
    return ToolResult(tool.name, value=result, text=text)


def _bounded(text: str) -> str:
    """JSON `text` of a result, if it nests at most MAX_RESULT_DEPTH levels (else ValueError)."""
    if nested_deeper(text, MAX_RESULT_DEPTH):
        raise ValueError(f"it nests deeper than {MAX_RESULT_DEPTH} levels")
    return text


def _sendable_text(text: str) -> str:
    """`text` if a request can carry it; UnicodeEncodeError for a lone surrogate (what
    `os.listdir` makes of a file name that is not UTF-8), which would fail the next request."""
    if not text.isascii():
        text.encode("utf-8")
    return text


def error_text(error: BaseException) -> str:
    """What a model (a provider, outside this process) is told of an error a tool raised: its
    type and message with secret-shaped parts masked (`redaction.scrub`: a key in a URL, a
    bearer token), and never an error of its own when the message cannot be rendered."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error being reported
        text = f"{type(error).__name__}: <its message could not be rendered>"
    return scrub(text)


def _unfixable(error: Exception) -> bool:
    """Errors no model can fix by calling again: configuration and build errors, an exhausted
    budget, a refused key or unknown model, a model client answering in the wrong shape. They
    stop the agent instead of going to the model."""
    from ..flow._policies import BudgetExceededError
    from .providers._errors import ModelCallError

    if isinstance(error, ModelCallError):
        return error.status in (401, 403, 404)
    if isinstance(error, ToolArgumentsError):  # a nested tool's arguments: the model can fix those
        return False
    return isinstance(error, (ConfigError, BuildError, CompositionError, BudgetExceededError, ChatModelReplyError))


def _description(target: object, given: str | None, name: str) -> str:
    if given is not None:
        if not isinstance(given, str) or not given.strip():
            raise ConfigError(f"tool {name!r}", "description", "a non-empty str", given)
        return given
    doc = _function_doc(target)
    if not doc:
        raise ConfigError(f"tool {name!r}", "description", "description= (or a docstring on the one function the tool runs)", None)
    return doc.split("\n\n")[0].replace("\n", " ")


def _function_doc(target: object) -> str | None:
    """The docstring of the user's function behind `target` (a function node, a guard around
    one, a plan's call op), never a library class's own docstring ("Run children in order")."""
    for _ in range(32):
        if inspect.isroutine(target):
            return inspect.getdoc(target)
        children: tuple[object, ...] = tuple(getattr(target, "children", ()))
        inner = getattr(target, "fn", None) or getattr(target, "inner", None) or (children[0] if len(children) == 1 else None)
        if inner is None:
            return None
        target = inner
    return None


@overload
def tool(fn: Plan[A, R], /, *, name: str | None = None, description: str | None = None, state_keys: Iterable[str] = ()) -> Tool[A, R]: ...
@overload
def tool(fn: Node[A, R], /, *, name: str | None = None, description: str | None = None, state_keys: Iterable[str] = ()) -> Tool[A, R]: ...
@overload
def tool(fn: Callable[[A], Awaitable[R]], /, *, name: str | None = None, description: str | None = None, state_keys: Iterable[str] = ()) -> Tool[A, R]: ...
@overload
def tool(fn: Callable[[A], R], /, *, name: str | None = None, description: str | None = None, state_keys: Iterable[str] = ()) -> Tool[A, R]: ...
def tool(
    fn: object, /, *, name: str | None = None, description: str | None = None, state_keys: Iterable[str] = ()
) -> Tool[Any, Any]:
    """A Tool from a node, a plan or a function taking one typed argument (its input).

    The JSON Schema of the input type becomes the tool's parameters; the description defaults
    to the first paragraph of the function's docstring. A plain sync function runs in a worker
    thread, so a turn's calls overlap like async ones (pass `node(fn)` to run it inline).
    `state_keys` are the RunContext.state keys the tool may read that something else provides
    (as for `compile`). Raises BuildError when the input type is not annotated or the function
    takes only `**kwargs` (a node passes it no arguments), ConfigError for a missing description
    or a bad name."""
    if isinstance(fn, Program):  # a Plan (what compile() returns)
        plan = cast("Plan[Any, Any]", fn)
        built: Node[Any, Any] = _plan_node(fn)
    else:
        if isinstance(fn, Node):
            built = fn
        else:
            built = as_function_node(fn)  # type: ignore[call-overload]
            if isinstance(built, FunctionNode) and not built.info.is_async:  # node()'s own inspection
                built = as_function_node(fn, thread=True)  # type: ignore[call-overload]
        plan = cast("Plan[Any, Any]", fluent.builder("compile")(built, state_keys=state_keys))
    label = name if name is not None else plan.name
    check_name("tool", "name", label)
    if TOOL_NAME.fullmatch(label) is None:
        raise ConfigError(f"tool {label!r}", "name", "1 to 64 ASCII letters, digits, '_' or '-' (providers reject other names)", label)
    input_type = plan.input_type
    if input_type is UNKNOWN:
        raise BuildError(
            f"tool {label!r}: its input type is unknown (not annotated, or an annotation that cannot be resolved, such as "
            "a class defined inside a function under `from __future__ import annotations`), so there is no schema for "
            "the model's arguments"
        )
    # a function of no parameters (or a constant) takes `{}`; one whose parameter is typed
    # `object` takes any JSON (both make the input type `object`)
    first = _first_step(plan) if input_type is object else None
    if isinstance(first, CallOp) and first.arity == 0 and _takes_keywords(first.fn):
        raise BuildError(  # a node passes it nothing: every argument the model wrote would be dropped
            f"tool {label!r}: {first.qualname} takes only **kwargs, which a node never fills (it passes one input), so "
            "the model's arguments would be dropped; take one parameter typed with a TypedDict, an attrs class or "
            "dict[str, T] instead"
        )
    no_input = isinstance(first, ConstOp) or (isinstance(first, CallOp) and first.arity == 0)
    validator = NO_ARGUMENTS if no_input else type_schema(input_type, where=f"tool {label!r}", closed=True)
    parameters, wrapped = object_schema(validator.schema)
    target = fn.root if isinstance(fn, Program) else getattr(fn, "fn", fn)
    described = _description(target, description, label)
    # OpenInference's tool span: what the tool is, as the model is told (configuration, so always on the span)
    spanned = {
        semconv.SPAN_KIND: "TOOL",
        semconv.TOOL_NAME: label,
        semconv.TOOL_DESCRIPTION: described,
        semconv.TOOL_PARAMETERS: _schema_text(parameters),
    }
    return Tool(label, described, plan, built.with_attributes(**spanned), input_type, parameters, wrapped, validator)


def _schema_text(parameters: Mapping[str, object]) -> str:
    """A tool's JSON Schema as the JSON text requests and spans carry."""
    return json.dumps(dict(parameters), sort_keys=True)


def _first_step(plan: Program[Any, Any]) -> CallOp | ConstOp | None:
    """The plan's first call or constant, under any guards around it (None when it starts
    otherwise: a parallel, a branch...)."""
    op = plan.root
    while not isinstance(op, (CallOp, ConstOp)):
        if not op.children or not (isinstance(op, SeqOp) or len(op.children) == 1):
            return None
        op = op.children[0]
    return op


def _takes_keywords(fn: Callable[..., object]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # no signature to read: nothing to refuse
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _plan_node(plan: Program[Any, Any]) -> Node[Any, Any]:
    """The plan's own ops as a node of the agent's plan (a sub-agent or sub-workflow used as a
    tool): the agent's EXPLAIN, analysis, budgets, hooks and spans see inside it."""
    return PlanNode(plan)
