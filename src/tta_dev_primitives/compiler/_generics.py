"""Solving the type variables of generic steps from their neighbours.

`def trace(value: T) -> T` placed after a step returning `int` is, in that plan, an `int -> int`
step: its input is bound to what flows in, and its output follows. The compiler specializes such
steps at lowering, so the edges around them are checked like any other (instead of being left
unchecked because of a bare type variable). A value outside a TypeVar's bound or constraints
leaves the step typed by the bound, so the typecheck pass reports the mismatch.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

import attrs

from .._deep import depth_independent
from ..dsl._types import UNKNOWN
from ._ir import BranchOp, CallOp, CastOp, MapOp, Op, ParOp, SeqOp
from ._types import is_assignable, tuple_of, union_of

__all__ = ["specialize", "specialize_op", "type_vars"]

Solution = dict[typing.TypeVar, object]


def type_vars(tp: object) -> tuple[typing.TypeVar, ...]:
    """The free type variables of a type expression."""
    if type(tp) is type and typing.Generic not in tp.__mro__:  # a plain class (`int`), the common case
        return ()
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


def _element(tp: object) -> object:
    """The item type of a sequence type (`list[int]` -> int), or UNKNOWN."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(origin, type) and issubclass(origin, Sequence) and len(args) == 1:
        return args[0]
    return UNKNOWN


def _mentions_type_vars(op: Op) -> bool:
    return bool(type_vars(op.in_type))


def specialize_op(op: Op, given: object) -> Op:
    """`op` fed a value of type `given`: generic calls inside it (directly, at the start of a
    sequence, in every branch of a parallel or branch, in a map's body, under a cast or a
    wrapper) take their types from it, and the types of the ops around them follow."""
    if given is UNKNOWN or not _mentions_type_vars(op):  # nearly every op: decided at once
        return op
    return _specialize(op, given)


@depth_independent
def _specialize(op: Op, given: object) -> Op:
    if isinstance(op, CallOp):
        solved = specialize(op.in_type, op.out_type, given)
        return op if solved is None else attrs.evolve(op, in_type=solved[0], out_type=solved[1])
    if isinstance(op, SeqOp):
        steps = list(op.children)
        flowing = given
        for i, step in enumerate(steps):
            steps[i] = specialize_op(step, flowing)
            flowing = steps[i].out_type
        return attrs.evolve(op, children=tuple(steps), in_type=steps[0].in_type, out_type=steps[-1].out_type)
    if isinstance(op, ParOp):
        branches = tuple(specialize_op(b, given) for b in op.children)
        simple = op.layout.combiner is None and op.layout.items == tuple(range(len(branches)))
        out = tuple_of(b.out_type for b in branches) if simple else op.out_type
        return attrs.evolve(op, children=branches, in_type=given, out_type=out)
    if isinstance(op, BranchOp):
        predicate, then, otherwise = (specialize_op(c, given) for c in op.children)
        out = op.out_type if not type_vars(op.out_type) else union_of([then.out_type, otherwise.out_type])
        return attrs.evolve(op, children=(predicate, then, otherwise), in_type=given, out_type=out)
    if isinstance(op, MapOp):
        body = specialize_op(op.children[0], _element(given))
        return attrs.evolve(op, children=(body,), in_type=op.in_type if body is op.children[0] else given, out_type=list[body.out_type])  # type: ignore[name-defined]
    if len(op.children) == 1 and (op.children[0].in_type, op.children[0].out_type) == (op.in_type, op.out_type) or isinstance(op, CastOp):
        inner = specialize_op(op.children[0], given)
        out = op.out_type if isinstance(op, CastOp) else inner.out_type
        return attrs.evolve(op, children=(inner,), in_type=inner.in_type, out_type=out)
    return op  # an op whose types do not follow its child's in a known way: left generic
