"""Read what a user callable accepts and returns, once, at build time."""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
import weakref
from collections.abc import Callable

import attrs

from ..errors import BuildError
from ._types import UNKNOWN, TypeExpr
from .._old_paths import stable_module

_CONTEXT_PARAM_NAMES = frozenset({"ctx", "context"})
_AWAITABLE_ORIGINS = (collections.abc.Awaitable, collections.abc.Coroutine)


@attrs.frozen(slots=True)
class CallableInfo:
    """What the executor and the type checker need to know about a node function."""

    name: str
    is_async: bool
    arity: int  # 0: ignores its input, 1: takes the input, 2: takes input and RunContext
    in_type: TypeExpr
    out_type: TypeExpr
    qualname: str


def callable_name(fn: object) -> str:
    """A readable name: the function's name, or its class's for callable objects."""
    target = fn.func if isinstance(fn, functools.partial) else fn
    name = getattr(target, "__name__", None)
    if isinstance(name, str):
        return name
    return type(target).__name__


def qualified_name(fn: object) -> str:
    """`module.qualname` of a callable (of a partial's function; a callable object's type)."""
    target = fn.func if isinstance(fn, functools.partial) else fn
    module = getattr(target, "__module__", None) or type(target).__module__
    qual = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{stable_module(module, qual)}.{qual}"


def _wrapped_function(obj: object) -> Callable[..., object] | None:
    """The function a callable object stands for (functools.update_wrapper: `@cached`,
    `lru_cache`), when its own `__call__` says nothing more: no concrete return annotation (none,
    or a type variable) and the same sync/async kind. Else None: the `__call__` is the truth."""
    wrapped = getattr(obj, "__wrapped__", None)
    call = type(obj).__call__
    if not inspect.isfunction(wrapped) or inspect.iscoroutinefunction(wrapped) != inspect.iscoroutinefunction(call):
        return None
    try:
        returns = typing.get_type_hints(call).get("return")
    except Exception:  # noqa: BLE001 - a slot wrapper (lru_cache) or unresolvable hints: nothing to go by
        returns = None
    return wrapped if returns is None or isinstance(returns, typing.TypeVar) else None


def resolved_hints(fn: Callable[..., object]) -> dict[str, object]:
    """Resolved annotations; unresolvable ones (forward refs to locals) become UNKNOWN."""
    target: object = fn
    if isinstance(fn, functools.partial):
        target = fn.func
    elif not (inspect.isfunction(fn) or inspect.ismethod(fn)):  # a callable object: its __call__
        target = _wrapped_function(fn) or type(fn).__call__
    try:
        if callable(target):
            inspect.unwrap(target)  # a __wrapped__ cycle raises ValueError here; typing.get_type_hints would loop forever
        return typing.get_type_hints(target)
    except Exception:
        raw = getattr(target, "__annotations__", {})
        return {k: (UNKNOWN if isinstance(v, str) else v) for k, v in raw.items()}


def _is_context_type(tp: object) -> bool:
    from ..context import RunContext

    return isinstance(tp, type) and issubclass(tp, RunContext)


def _unwrap_awaitable(tp: object) -> tuple[bool, object]:
    origin = typing.get_origin(tp)
    if origin in _AWAITABLE_ORIGINS:
        args = typing.get_args(tp)
        return True, (args[-1] if args else UNKNOWN)
    return False, tp


_INFO: weakref.WeakKeyDictionary[Callable[..., object], CallableInfo] = weakref.WeakKeyDictionary()
"""Descriptions of plain functions already inspected: a loop building `node(step)` many times
pays for the signature and annotations once."""


def inspect_callable(fn: Callable[..., object], *, where: str, context_second: bool = False) -> CallableInfo:
    """Validate `fn` as a node function and describe it.

    Raises BuildError naming `where` (the node being built) when `fn` is not callable, is a
    generator or async generator function, or takes parameters a node cannot supply. With
    `context_second`, a second required parameter is the RunContext whatever its name (the
    original package always called `fn(input, context)`).
    """
    if context_second:
        return _inspect(fn, where=where, context_second=True)
    if type(fn) is types.FunctionType:
        known = _INFO.get(fn)
        if known is not None:
            return known
        info = _inspect(fn, where=where)
        if info.in_type is not UNKNOWN and info.out_type is not UNKNOWN:  # a forward ref may resolve later
            _INFO[fn] = info
        return info
    return _inspect(fn, where=where)


def passes_context(fn: Callable[..., object]) -> bool:
    """Whether the original package's `fn(input, context)` calling convention applies to `fn`
    (a side effect or key function): it takes two positional parameters, whatever their names."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters) >= 2


def _inspect(fn: Callable[..., object], *, where: str, context_second: bool = False) -> CallableInfo:
    if not callable(fn):
        raise BuildError(f"{where}: expected a callable (async or sync function), got {type(fn).__name__} {fn!r}")
    name = callable_name(fn)
    probe = fn.func if isinstance(fn, functools.partial) else fn
    call = probe if inspect.isroutine(probe) else getattr(type(probe), "__call__", probe)
    if inspect.isasyncgenfunction(call):
        raise BuildError(
            f"{where}: {name!r} is an async generator function; a node must return one value. "
            "Collect the items into a list, or return the async iterator from a regular async def."
        )
    if inspect.isgeneratorfunction(call):
        raise BuildError(f"{where}: {name!r} is a generator function; a node must return one value (return a list).")
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    hints = resolved_hints(fn)
    arity, in_type = _arity(sig, hints, name=name, where=where, context_second=context_second)
    ret = hints.get("return", UNKNOWN)
    awaitable, ret = _unwrap_awaitable(ret)
    if awaitable and not is_async:
        is_async = True  # a sync def annotated to return an awaitable is awaited
    return CallableInfo(
        name=name, is_async=is_async, arity=arity, in_type=in_type, out_type=ret, qualname=qualified_name(fn)
    )


def _arity(
    sig: inspect.Signature | None, hints: dict[str, object], *, name: str, where: str, context_second: bool = False
) -> tuple[int, TypeExpr]:
    if sig is None:
        return 1, UNKNOWN
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    has_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    required_kw = [
        p.name
        for p in sig.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    if required_kw:
        raise BuildError(f"{where}: {name!r} has required keyword-only parameters {required_kw}; a node passes only its input")
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    if not positional:
        return (1, UNKNOWN) if has_varargs else (0, object)
    first = positional[0]
    in_type = hints.get(first.name, UNKNOWN)
    if len(required) <= 1:
        if len(positional) >= 2 and _wants_context(positional[1], hints):
            return 2, in_type
        return 1, in_type
    if len(required) == 2 and (context_second or _wants_context(required[1], hints)):
        return 2, in_type
    extra = [p.name for p in required[1:]]
    raise BuildError(
        f"{where}: {name!r} requires parameters {extra} besides its input; a node passes its input and, "
        "optionally, a RunContext as the second parameter (annotate it `ctx: RunContext`)"
    )


def _wants_context(param: inspect.Parameter, hints: dict[str, object]) -> bool:
    tp = hints.get(param.name)
    if tp is not None and tp is not UNKNOWN:
        return _is_context_type(tp)
    return param.name in _CONTEXT_PARAM_NAMES
