"""Solving the type variables of generic steps from their neighbours.

`def trace(value: T) -> T` placed after a step returning `int` is, in that plan, an `int -> int`
step: its input is bound to what flows in, and its output follows. The compiler specializes such
steps at lowering, so the edges around them are checked like any other (instead of being left
unchecked because of a bare type variable). A value outside a TypeVar's bound or constraints
leaves the step typed by the bound, so the typecheck pass reports the mismatch.
"""

from __future__ import annotations

import typing

from ..dsl.types import UNKNOWN
from .types import is_assignable

__all__ = ["specialize", "type_vars"]

Solution = dict[typing.TypeVar, object]


def type_vars(tp: object) -> tuple[typing.TypeVar, ...]:
    """The free type variables of a type expression."""
    if isinstance(tp, typing.TypeVar):
        return (tp,)
    params = getattr(tp, "__parameters__", ())
    return tuple(p for p in params if isinstance(p, typing.TypeVar)) if isinstance(params, tuple) else ()


def _bind(param: object, arg: object, solution: Solution) -> None:
    """Match `param` (which mentions type variables) against the concrete `arg`, structurally."""
    if isinstance(param, typing.TypeVar):
        solution.setdefault(param, arg)
        return
    p_origin, a_origin = typing.get_origin(param), typing.get_origin(arg)
    if p_origin is None or a_origin is None:
        return
    if p_origin is not a_origin and not (isinstance(p_origin, type) and isinstance(a_origin, type) and issubclass(a_origin, p_origin)):
        return
    p_args, a_args = typing.get_args(param), typing.get_args(arg)
    if len(p_args) == len(a_args):
        for p, a in zip(p_args, a_args):
            _bind(p, a, solution)


def _admissible(var: typing.TypeVar, value: object) -> object:
    """`value` if the variable may take it, else the variable's bound (or constraints) so that the
    edge into the step fails the typecheck with a message naming both types."""
    if var.__constraints__:
        for constraint in var.__constraints__:
            if is_assignable(value, constraint) is not False:
                return constraint
        return typing.Union[var.__constraints__]  # noqa: UP007
    bound = var.__bound__
    if bound is not None and is_assignable(value, bound) is False:
        return bound
    return value


def _substitute(tp: object, solution: Solution) -> object:
    if isinstance(tp, typing.TypeVar):
        return solution.get(tp, tp)
    free = type_vars(tp)
    if not free:
        return tp
    try:
        return tp[tuple(solution.get(v, v) for v in free)]  # type: ignore[index]
    except TypeError:
        return tp


def specialize(in_type: object, out_type: object, given: object) -> tuple[object, object] | None:
    """The (input, output) types of a generic step fed `given`, or None when the step is not
    generic in its input or nothing could be solved."""
    if given is UNKNOWN or not type_vars(in_type):
        return None
    solution: Solution = {}
    _bind(in_type, given, solution)
    if not solution:
        return None
    solved = {var: _admissible(var, value) for var, value in solution.items()}
    return _substitute(in_type, solved), _substitute(out_type, solved)
