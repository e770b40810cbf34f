"""`node(fn)`: turn an async or sync function into a typed Node."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, final, overload

from typing_extensions import Concatenate, ParamSpec

from ..context import RunContext
from ..errors import BuildError, ConfigError
from ._introspect import CallableInfo, inspect_callable, resolved_hints
from ._core import AnyNode, Node

__all__ = ["AsyncGeneratorFunctionsAreNotNodes", "FunctionNode", "as_node", "node", "node_with"]

P = ParamSpec("P")

A = TypeVar("A")
B = TypeVar("B")
In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)


@final
class AsyncGeneratorFunctionsAreNotNodes:
    """Not a node: what type checkers see for `node(agen)` where `agen` is an async generator
    function (`async def` with `yield`), which `node()` rejects with BuildError when it runs. A
    node returns one value: collect the items into a list, or return the iterator from a regular
    `async def`."""


class FunctionNode(Node[In, Out]):
    """A leaf node that calls a user function.

    Sync functions run inline on the event loop unless built with `thread=True`, which runs them
    in a worker thread (for blocking I/O or heavy CPU work).
    """

    primitive_type = "function"

    def __init__(self, fn: Callable[..., object], *, name: str | None = None, thread: bool = False) -> None:
        where = f"node({name or getattr(fn, '__name__', type(fn).__name__)})"
        self.fn = fn
        self.info: CallableInfo = inspect_callable(fn, where=where)
        if not isinstance(thread, bool):
            raise ConfigError(where, "thread", "a bool", thread)
        if thread and self.info.is_async:
            raise ConfigError(where, "thread", "False for an async function (it already yields)", thread)
        self.thread = thread
        self._tta_default_name = self.info.name  # known now: no lazy derivation per node
        self._set_name(name)

    def _default_name(self) -> str:
        return self.info.name


@overload
def node(
    fn: Callable[[A], Awaitable[B]], /, *, name: str | None = None
) -> Node[A, B]: ...
@overload
def node(
    fn: Callable[[A, RunContext], Awaitable[B]], /, *, name: str | None = None
) -> Node[A, B]: ...
@overload
def node(
    fn: Callable[[], Awaitable[B]], /, *, name: str | None = None
) -> Node[object, B]: ...
# Deliberately overlapping: an async generator function is not a node. (`Callable[..., X]` would
# be shorter but gives a lambda's parameters the type Any, and the call an Any result.)
@overload
def node(  # type: ignore[overload-overlap]
    fn: Callable[[A], AsyncIterator[object]], /, *, name: str | None = None, thread: bool = False
) -> AsyncGeneratorFunctionsAreNotNodes: ...
@overload
def node(  # type: ignore[overload-overlap]
    fn: Callable[[A, RunContext], AsyncIterator[object]], /, *, name: str | None = None, thread: bool = False
) -> AsyncGeneratorFunctionsAreNotNodes: ...
@overload
def node(fn: Callable[[A], B], /, *, name: str | None = None, thread: bool = False) -> Node[A, B]: ...
@overload
def node(fn: Callable[[A, RunContext], B], /, *, name: str | None = None, thread: bool = False) -> Node[A, B]: ...
@overload
def node(fn: Callable[[], B], /, *, name: str | None = None, thread: bool = False) -> Node[object, B]: ...
def node(
    fn: Callable[..., object], /, *, name: str | None = None, thread: bool = False
) -> Node[Any, Any] | AsyncGeneratorFunctionsAreNotNodes:
    """Make a Node from a function, inferring `Node[In, Out]` from its annotations.

    Works as a call (`node(fn)`) and as a bare decorator (`@node`). The function takes the input
    as its first parameter and may take the RunContext as its second; a function with no
    parameters ignores its input. Unannotated parameters give an unchecked edge, which EXPLAIN
    reports. Raises BuildError for non-callables and generator functions.
    """
    if isinstance(fn, Node):
        raise BuildError(f"node(): {fn!r} is already a Node; use it directly")
    return FunctionNode(fn, name=name, thread=thread)


@overload
def node_with(fn: Callable[Concatenate[A, P], Awaitable[B]], /, *args: P.args, **kwargs: P.kwargs) -> Node[A, B]: ...
@overload
def node_with(fn: Callable[Concatenate[A, P], B], /, *args: P.args, **kwargs: P.kwargs) -> Node[A, B]: ...
def node_with(fn: Callable[..., object], /, *args: object, **kwargs: object) -> Node[Any, Any]:
    """A node calling `fn(input, *args, **kwargs)`: every parameter but the first is bound.

    The typed counterpart of `node(functools.partial(fn, ...))`, which type checkers see as
    `Node[Any, R]`: `node_with(translate, lang="fr")` is a `Node[str, str]` for
    `def translate(text: str, lang: str) -> str`, and mypy checks the bound arguments.
    """
    label = f"node_with({getattr(fn, '__name__', type(fn).__name__)})"
    if not callable(fn) or isinstance(fn, Node):
        raise BuildError(f"{label}: expected a function, got {type(fn).__name__} {fn!r}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise BuildError(f"{label}: its signature cannot be read (a builtin?); wrap it in a def") from None
    params = list(signature.parameters.values())
    if not params or params[0].kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise BuildError(f"{label}: the function must take the input as its first parameter")
    try:
        signature.replace(parameters=params[1:]).bind(*args, **kwargs)
    except TypeError as error:
        raise BuildError(f"{label}: {error}") from None
    hints = resolved_hints(fn)
    bound: Callable[..., object]
    if inspect.iscoroutinefunction(fn):

        async def bound_async(value: object) -> object:
            return await fn(value, *args, **kwargs)

        bound = bound_async
    else:

        def bound_sync(value: object) -> object:
            return fn(value, *args, **kwargs)

        bound = bound_sync
    bound.__name__ = getattr(fn, "__name__", type(fn).__name__)
    bound.__qualname__ = getattr(fn, "__qualname__", bound.__name__)
    bound.__module__ = getattr(fn, "__module__", __name__)
    bound.__annotations__ = {k: v for k, v in hints.items() if k in (params[0].name, "return")}
    bound.__signature__ = signature.replace(parameters=params[:1])  # type: ignore[attr-defined]
    return FunctionNode(bound)


def as_node(obj: object, *, where: str) -> AnyNode:
    """Accept a Node as is and wrap a plain callable with `node()`; reject anything else.

    Used by combinators that also take functions for convenience (the original package's API does).
    """
    if isinstance(obj, Node):
        return obj
    if callable(obj):
        return FunctionNode(obj)
    raise BuildError(f"{where}: expected a Node or a callable, got {type(obj).__name__} {obj!r}")
