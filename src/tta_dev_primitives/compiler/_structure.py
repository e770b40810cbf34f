"""Structural facts about ops: purity and structural identity (for the passes), and what a
cache wraps (for cache keys)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Hashable

import attrs

from .._deep import depth_independent
from ._ir import CallOp, ConstOp, Group, Op, ParOp
from ._policy import CachePolicy, Policy
from .._old_paths import stable_module

__all__ = ["IdentityRef", "NotStable", "is_pure", "local_identity", "stable_identity", "stable_name", "structural_key"]


def is_pure(op: Op) -> bool:
    """True when the op (and everything under it) declared itself pure."""
    return bool(op.fact("pure", _derive_pure))


@depth_independent
def _derive_pure(op: Op) -> bool:
    if op.traits.pure or isinstance(op, ConstOp):
        return True
    if isinstance(op, CallOp) or not op.children:
        return False
    return all(is_pure(c) for c in op.children)


@depth_independent
def _layout_key(group: Group) -> Hashable:
    return (id(group.combiner), tuple(i if isinstance(i, int) else _layout_key(i) for i in group.items))


def structural_key(op: Op) -> Hashable:
    """Equal for two ops that compute the same function of their input (same callables, same
    settings, same structure); names, ids and locations do not matter."""
    return op.fact("structural", _derive_structural)


@depth_independent
def _derive_structural(op: Op) -> Hashable:
    extra: Hashable = None
    if isinstance(op, CallOp):
        extra = (id(op.fn), op.arity, op.is_async, op.thread)
    elif isinstance(op, ParOp):
        extra = _layout_key(op.layout)
    else:
        policy = op.policy()
        if policy is not None:
            extra = (type(policy).__qualname__, tuple(id(ref) for ref in policy.identity_refs()))
    params = json.dumps(op.params(), sort_keys=True, default=repr)
    children = ",".join(str(structural_key(c)) for c in op.children)
    # a digest, not nested tuples: keys of deep trees compare in O(1), not by deep recursion
    return hashlib.sha256(repr((type(op).__qualname__, params, extra, children)).encode()).hexdigest()


# -- what a cache wraps ------------------------------------------------------------------------
# A cache key must identify the computation as well as the input: one Cache (or one store)
# in front of two nodes must never answer one node's input with the other's result.

_OP_BASE_FIELDS = frozenset({"node_id", "name", "primitive_type", "in_type", "out_type", "location", "children", "traits", "_facts"})


class IdentityRef:
    """An object compared by identity, kept alive by the key that holds it (so an id is never
    reused for another object while a cache entry could still match it)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentityRef) and other.obj is self.obj


def _is_cache(op: Op) -> bool:
    return isinstance(op.policy(), CachePolicy)


def _own_fields(op: Op) -> list[tuple[str, object]]:
    """The kind-specific settings of an op (its function, constant, layout, guard, ...)."""
    return [(f.name, getattr(op, f.name)) for f in attrs.fields(type(op)) if f.name not in _OP_BASE_FIELDS]


@depth_independent
def _local(value: object) -> Hashable:
    if value is None or isinstance(value, (bool, int, str)) and type(value) in (bool, int, str):
        return (type(value), value)
    if isinstance(value, float) and type(value) is float:
        return (float, value.hex())
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_local(v) for v in value)
    if isinstance(value, Group):
        return ("group", _local(value.combiner), _local(value.items))
    return IdentityRef(value)


def local_identity(op: Op) -> Hashable:
    """In this process, equal for two ops that compute the same function of their input: same
    callables (by identity), settings and structure. Names and locations do not matter, and a
    cache wrapper computes what it wraps. Holds strong references to the callables."""
    return op.fact("local", _derive_local)


@depth_independent
def _derive_local(op: Op) -> Hashable:
    while _is_cache(op):
        op = op.children[0]
    fields = tuple((name, _local(value)) for name, value in _own_fields(op))
    return (type(op), fields, tuple(local_identity(c) for c in op.children))


def stable_name(obj: object) -> str | None:
    """`module:qualname` if that name, looked up in the already imported module, is `obj`: a
    name that means the same object in every process running this code."""
    module_name, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    found: object = sys.modules.get(module_name)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    # the name may hold the object itself, or what a decorator made of it (`@node`, `@cached`)
    if not any(candidate is obj for candidate in (found, getattr(found, "fn", None), getattr(found, "__wrapped__", None))):
        return None
    return f"{stable_module(module_name, qualname)}:{qualname}"


class NotStable(Exception):
    """Raised inside `stable_identity` with what has no cross-process name."""


@depth_independent
def _stable(value: object, where: str) -> object:
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return {"float": repr(value)}
    if isinstance(value, tuple) and type(value) is tuple:
        return [_stable(v, where) for v in value]
    if isinstance(value, Group):
        return {"group": [_stable(value.combiner, where), _stable(value.items, where)]}
    name = stable_name(value)
    if name is not None:
        return {"ref": name}
    if isinstance(value, Policy) and stable_name(type(value)) is not None:  # a guard policy: its type and settings
        return {"policy": stable_name(type(value)), "settings": json.loads(json.dumps(value.describe(), sort_keys=True, default=repr))}
    raise NotStable(f"{where} is {_describe(value)}, which has no name that means the same thing in every process")


def _describe(value: object) -> str:
    qualname = getattr(value, "__qualname__", None)
    if isinstance(qualname, str):
        return f"{type(value).__name__} {qualname!r}"
    return f"a {type(value).__qualname__} object"


def stable_identity(op: Op) -> str:
    """A name for what `op` computes that is the same in every process running this code:
    the module-qualified names of its callables, its settings and structure, hashed.

    Raises NotStable naming the op and value that has no such name (a lambda, a closure, a
    bound method or callable instance holding state, ...)."""
    return op.fact("stable", _derive_stable)  # type: ignore[return-value]


@depth_independent
def _derive_stable(op: Op) -> str:
    while _is_cache(op):
        op = op.children[0]
    fields = {name: _stable(value, f"the {name} of {op.name!r} (built at {op.location})") for name, value in _own_fields(op)}
    data = {"op": f"{stable_module(type(op).__module__, type(op).__qualname__)}.{type(op).__qualname__}", "fields": fields, "children": [stable_identity(c) for c in op.children]}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
