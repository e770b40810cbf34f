"""Structural facts about ops that several passes need: purity and structural identity."""

from __future__ import annotations

import json
from collections.abc import Hashable

from .ir import CallOp, ConstOp, Group, Op, ParOp

__all__ = ["is_pure", "structural_key"]


def is_pure(op: Op) -> bool:
    """True when the op (and everything under it) declared itself pure."""
    if op.traits.pure or isinstance(op, ConstOp):
        return True
    if isinstance(op, CallOp) or not op.children:
        return False
    return all(is_pure(c) for c in op.children)


def _layout_key(group: Group) -> Hashable:
    return (id(group.combiner), tuple(i if isinstance(i, int) else _layout_key(i) for i in group.items))


def structural_key(op: Op) -> Hashable:
    """Equal for two ops that compute the same function of their input (same callables, same
    settings, same structure); names, ids and locations do not matter."""
    extra: Hashable = None
    if isinstance(op, CallOp):
        extra = (id(op.fn), op.arity, op.is_async, op.thread)
    elif isinstance(op, ParOp):
        extra = _layout_key(op.layout)
    else:
        policy = getattr(op, "guard", None)
        if policy is not None:
            extra = (type(policy).__qualname__, id(getattr(policy, "key_fn", None)))
    params = json.dumps(op.params(), sort_keys=True, default=repr)
    return (type(op).__qualname__, params, extra, tuple(structural_key(c) for c in op.children))
