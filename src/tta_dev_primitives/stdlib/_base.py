"""The original package's base classes: WorkflowPrimitive, LambdaPrimitive and WorkflowContext.

Code written against the original package's `execute(input_data, context)` API keeps working, and because
these are Nodes, such primitives compose with `>>`, compile to plans and are type checked.
"""

from __future__ import annotations

import abc
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar, overload

from ..compiler._ir import Op
from ..compiler._lowering import Lowerer, call_op, lowering
from ..context import RunContext, WorkflowContext
from ..dsl._introspect import CallableInfo, inspect_callable, qualified_name
from ..dsl import _fluent as fluent
from ..dsl._core import Node
from ..dsl._types import UNKNOWN, TypeExpr

if typing.TYPE_CHECKING:
    from .flow._parallel import ParallelPrimitive

__all__ = ["InstrumentedPrimitive", "LambdaPrimitive", "WorkflowContext", "WorkflowPrimitive"]

T = TypeVar("T", contravariant=True)
U = TypeVar("U", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


class WorkflowPrimitive(Node[T, U], abc.ABC):
    """Base class of primitives in the original package's style: implement `async execute(input_data, context)`.

    Input and output types come from `execute`'s annotations (or the `WorkflowPrimitive[T, U]`
    base) and are checked by the compiler like any node's.
    """

    primitive_type = "primitive"

    @abc.abstractmethod
    async def execute(self, input_data: T, context: WorkflowContext) -> U:
        """Process `input_data`; `context` is the run's WorkflowContext (RunContext)."""

    def _default_name(self) -> str:
        return type(self).__name__

    @property
    def name(self) -> str:
        """The primitive's name (its class name unless set); assignable, as in the original
        package's subclasses (`self.name = "loader"`)."""
        return Node.name.fget(self)  # type: ignore[attr-defined,no-any-return]

    @name.setter
    def name(self, value: str) -> None:
        self._set_name(value)

    def __or__(self: WorkflowPrimitive[A, B], other: Node[A, C]) -> ParallelPrimitive[A, list[B | C]]:
        """`a | b | c`: one flat ParallelPrimitive of the operands, with list results (of the
        union of their result types)."""
        return fluent.builder("parallel_primitive")(self, other)  # type: ignore[return-value]


def _generic_args(cls: type) -> tuple[TypeExpr, TypeExpr]:
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is WorkflowPrimitive:
                args = typing.get_args(base)
                if len(args) == 2 and not any(isinstance(a, typing.TypeVar) for a in args):
                    return args[0], args[1]
    return UNKNOWN, UNKNOWN


def execute_types(primitive: WorkflowPrimitive[typing.Never, object]) -> tuple[TypeExpr, TypeExpr]:
    """In and out types of a primitive from `execute`'s annotations, else its generic base
    (unknown, so unchecked, for primitives that declare `_tta_untyped`, such as mocks)."""
    if getattr(type(primitive), "_tta_untyped", False):
        return UNKNOWN, UNKNOWN
    generic_in, generic_out = _generic_args(type(primitive))
    method = getattr(type(primitive), getattr(type(primitive), "_tta_typed_method", "execute"))  # InstrumentedPrimitive: _execute_impl
    try:
        hints = typing.get_type_hints(method)
    except Exception:
        hints = {}
    params = list(inspect.signature(method).parameters)
    in_type = hints.get(params[1], UNKNOWN) if len(params) > 1 else UNKNOWN
    out_type = hints.get("return", UNKNOWN)
    return (generic_in if in_type is UNKNOWN else in_type), (generic_out if out_type is UNKNOWN else out_type)


@lowering(WorkflowPrimitive)  # type: ignore[type-abstract]
def lower_primitive(node: WorkflowPrimitive[typing.Never, object], lw: Lowerer) -> Op:
    """The op that calls a primitive's `execute(input, context)` (every primitive in the original package's style)."""
    in_type, out_type = execute_types(node)
    execute = node.execute
    info = CallableInfo(
        name=node.name,
        is_async=inspect.iscoroutinefunction(execute),
        arity=2,
        in_type=in_type,
        out_type=out_type,
        qualname=f"{qualified_name(type(node))}.execute",
    )
    return call_op(node, lw, execute, info)


class LambdaPrimitive(WorkflowPrimitive[T, U], Generic[T, U]):
    """A primitive from a function `fn(input)` or `fn(input, context)`, async or sync."""

    primitive_type = "lambda"

    @overload
    def __init__(
        self: LambdaPrimitive[A, B], fn: Callable[[A, WorkflowContext], Awaitable[B]], *, name: str | None = None
    ) -> None: ...
    @overload
    def __init__(self: LambdaPrimitive[A, B], fn: Callable[[A], Awaitable[B]], *, name: str | None = None) -> None: ...
    @overload
    def __init__(self: LambdaPrimitive[A, B], fn: Callable[[A, WorkflowContext], B], *, name: str | None = None) -> None: ...
    @overload
    def __init__(self: LambdaPrimitive[A, B], fn: Callable[[A], B], *, name: str | None = None) -> None: ...
    @overload
    def __init__(self: LambdaPrimitive[A, B], *, func: Callable[[A, WorkflowContext], Awaitable[B]], name: str | None = None) -> None: ...
    @overload
    def __init__(self: LambdaPrimitive[A, B], *, func: Callable[[A, WorkflowContext], B], name: str | None = None) -> None: ...
    def __init__(self, fn: Callable[..., object] | None = None, *, name: str | None = None, func: Callable[..., object] | None = None) -> None:
        from ..errors import ConfigError

        if (fn is None) == (func is None):
            raise ConfigError(f"LambdaPrimitive({name or '?'})", "fn", "one function (fn, or the original's func=)", (fn, func))
        target = fn if fn is not None else func
        assert target is not None
        where = f"LambdaPrimitive({name or getattr(target, '__name__', '?')})"
        # the original called func(input, context) whatever the second parameter's name
        self.info = inspect_callable(target, where=where, context_second=True)
        self.fn = target
        self._set_name(name)

    @property
    def func(self) -> Callable[..., object]:
        """The wrapped function (the original package's name for `fn`)."""
        return self.fn

    def _default_name(self) -> str:
        return self.info.name

    async def execute(self, input_data: T, context: WorkflowContext | None = None) -> U:
        """Call the function directly (outside a plan), with `context` if it takes one."""
        if self.info.arity == 0:
            result = self.fn()
        elif self.info.arity == 2:
            result = self.fn(input_data, context if context is not None else RunContext())
        else:
            result = self.fn(input_data)
        if inspect.isawaitable(result):
            result = await result
        return typing.cast(U, result)


@lowering(LambdaPrimitive)
def _lower_lambda(node: LambdaPrimitive[typing.Never, object], lw: Lowerer) -> Op:
    return call_op(node, lw, node.fn, node.info)


def seed_callable(obj: object, *, where: str) -> Node[typing.Never, object]:
    """A node as it is; a plain callable as a node, like `node()`, except that a second
    parameter is the context whatever its name (`lambda data, c: ...`), as the original package
    called conditions, selectors and routers with `(input, context)`."""
    from ..dsl._function import as_node
    from ..errors import BuildError

    try:
        return as_node(obj, where=where)
    except BuildError:
        if not callable(obj):
            raise
        return LambdaPrimitive(obj)


class InstrumentedPrimitive(WorkflowPrimitive[T, U]):
    """The original package's instrumented base class: implement `_execute_impl(input_data,
    context)`; `name` is optional. Tracing, metrics and logs no longer live in the class: the
    observability hooks (`configure_tracing()`, ...) instrument every primitive, this one too."""

    primitive_type = "primitive"
    _tta_typed_method = "_execute_impl"

    def __init__(self, name: str | None = None) -> None:
        self._set_name(name)

    @abc.abstractmethod
    async def _execute_impl(self, input_data: T, context: WorkflowContext) -> U:
        """Process `input_data` (what the original's subclasses implement)."""

    async def execute(self, input_data: T, context: WorkflowContext) -> U:
        """Run `_execute_impl` (inside plans, and when called directly)."""
        return await self._execute_impl(input_data, context)
