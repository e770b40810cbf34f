"""Runtime checks of what leaf functions return against their declared return types.

mypy checks that the edges of a plan fit; it cannot see a function that is annotated `-> int`
and returns a str (a cast, an untyped library, JSON from a model). With output checks on, every
leaf call's result is checked where the check is cheap (an `isinstance`, never a walk over a
container's items), and a mismatch raises `OutputTypeError` naming the producing node, instead
of a confusing error in some later consumer.

Checks are off by default (they cost one call per node) and on in tests: the pytest plugin turns
them on, and `TTA_CHECK_OUTPUTS=1` or `check_outputs(True)` turns them on anywhere. Plans pick
the setting up on their next run.
"""

from __future__ import annotations

import collections.abc as cabc
import typing
import weakref
from collections.abc import Callable

# the compiler's own readings of type forms: one understanding of Annotated, unions, Literal, ...
from ..compiler._types import (
    _ANY_FORMS,
    _LITERAL_ORIGINS,
    _NEVER_FORMS,
    _UNION_ORIGINS,
    _is_newtype,
    _is_typeddict,
    _strip,
    format_type,
)
from ..dsl._location import SourceLocation
from ..dsl._types import UNKNOWN
from ..errors import InputTypeError, OutputTypeError
from .._validate import check_bool
from ._hooks import REGISTRY

__all__ = ["InputTypeError", "OutputTypeError", "check_outputs", "instance_types", "output_checker"]

Check = Callable[[object], bool]


_UNCHECKED: tuple[object, ...] = (*_ANY_FORMS, *_NEVER_FORMS, object, UNKNOWN)
_PROMOTED: dict[type, tuple[type, ...]] = {float: (float, int), complex: (complex, float, int)}


def check_outputs(enabled: bool = True) -> bool:
    """Turn runtime output checks on or off for every plan (from its next run); returns the
    previous setting so a caller can restore it."""
    return REGISTRY.set_check_outputs(check_bool("check_outputs", "enabled", enabled))


def output_checker(tp: object) -> Check | None:
    """A cheap predicate for values of type `tp`, or None when `tp` cannot be checked cheaply
    (Any, type variables, non-runtime Protocols, ...): then nothing is checked."""
    tp = _strip(tp)  # Annotated[X, ...] -> X, None -> NoneType
    if any(tp is unchecked for unchecked in _UNCHECKED):
        return None
    if tp is type(None):
        return lambda value: value is None
    if _is_newtype(tp):
        return output_checker(tp.__supertype__)  # type: ignore[attr-defined]
    origin = typing.get_origin(tp)
    if origin in _UNION_ORIGINS:
        members = [output_checker(arg) for arg in typing.get_args(tp)]
        if any(member is None for member in members):
            return None  # one unverifiable member makes any value possibly right
        checks = tuple(m for m in members if m is not None)
        return lambda value: any(check(value) for check in checks)
    if origin in _LITERAL_ORIGINS:
        allowed = tuple((type(arg), arg) for arg in typing.get_args(tp))
        return lambda value: (type(value), value) in allowed
    if origin is type:
        return lambda value: isinstance(value, type)
    if origin is cabc.Callable or tp is cabc.Callable:
        return callable
    if origin is not None:
        tp = origin  # list[int] -> list: the container's items are not walked (not cheap)
    if not isinstance(tp, type):
        return None  # a TypeVar, a string annotation, ...
    if _is_typeddict(tp):
        return lambda value: isinstance(value, dict)
    if getattr(tp, "_is_protocol", False) and not getattr(tp, "_is_runtime_protocol", False):
        return None  # (typing.Protocol itself included)
    return _instance_check(_PROMOTED.get(tp, tp))


_INSTANCE_OF: weakref.WeakKeyDictionary[Check, type | tuple[type, ...]] = weakref.WeakKeyDictionary()


def _instance_check(accepted: type | tuple[type, ...]) -> Check:
    check: Check = lambda value: isinstance(value, accepted)  # noqa: E731
    _INSTANCE_OF[check] = accepted
    return check


def instance_types(check: Check) -> type | tuple[type, ...] | None:
    """The classes `check` (from `output_checker`) accepts instances of, when it is one
    isinstance: the plan's run function then tests `isinstance(x, ...)` itself, without a call."""
    return _INSTANCE_OF.get(check)


def checked(node: str, declared: object, location: SourceLocation, check: Check) -> Callable[[object], object]:
    """A function that returns its argument when it passes `check` and raises otherwise."""
    declared_text = format_type(declared)

    def verify(value: object) -> object:
        if check(value):
            return value
        raise OutputTypeError(node, declared_text, value, location)

    return verify
