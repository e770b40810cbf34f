"""Types of callables the compiler meets besides node functions (combiners, constructors)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable

from ._types import UNKNOWN, TypeExpr

__all__ = ["param_types_of", "return_type_of"]


def _hints(fn: Callable[..., object]) -> dict[str, object]:
    target: object = getattr(fn, "__init__") if isinstance(fn, type) else fn  # noqa: B009
    try:
        return typing.get_type_hints(target)
    except Exception:
        return {}


def return_type_of(fn: Callable[..., object]) -> TypeExpr:
    """What calling `fn` returns: the class itself for a class, else its return annotation."""
    if isinstance(fn, type):
        return fn
    return _hints(fn).get("return", UNKNOWN)


def param_types_of(fn: Callable[..., object]) -> list[TypeExpr] | None:
    """Types of the positional parameters of `fn` (UNKNOWN where not annotated), or None when
    its signature cannot be read or it takes *args."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    hints = _hints(fn)
    types_: list[TypeExpr] = []
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if param.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            types_.append(hints.get(param.name, UNKNOWN))
    return types_
