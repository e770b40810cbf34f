"""Runtime assignability of type expressions, and their readable names.

`is_assignable(src, dst)` answers the question mypy answers statically, from annotations at
compile time: True, False, or None when it cannot tell (unannotated, Any, type variables). It
covers classes, generics with variance, unions and Optional, Literal, TypedDict, Protocols,
NewType, Annotated, tuples, `type[...]` and Callable.
"""

from __future__ import annotations

import collections.abc as cabc
import types
import typing
from collections import deque
from collections.abc import Iterable

import typing_extensions

from .._deep import depth_independent
from ..dsl._types import UNKNOWN

__all__ = ["format_type", "is_assignable", "most_specific", "tuple_of", "union_of"]

Verdict = bool | None

_ANY_FORMS: tuple[object, ...] = (typing.Any, typing_extensions.Any)
_NEVER_FORMS: tuple[object, ...] = (typing.NoReturn, typing.Never, typing_extensions.Never)
_UNION_ORIGINS: tuple[object, ...] = (typing.Union, types.UnionType)
_LITERAL_ORIGINS: tuple[object, ...] = (typing.Literal, typing_extensions.Literal)
_INVARIANT_ORIGINS: frozenset[object] = frozenset(
    {list, dict, set, deque, cabc.MutableSequence, cabc.MutableMapping, cabc.MutableSet}
)
_KEY_INVARIANT_ORIGINS: frozenset[object] = frozenset({cabc.Mapping})
_PROMOTIONS: dict[type, tuple[type, ...]] = {int: (float, complex), float: (complex,)}


def _all(verdicts: Iterable[Verdict]) -> Verdict:
    result: Verdict = True
    for v in verdicts:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def _any(verdicts: Iterable[Verdict]) -> Verdict:
    result: Verdict = False
    for v in verdicts:
        if v is True:
            return True
        if v is None:
            result = None
    return result


def _strip(tp: object) -> object:
    """Remove Annotated[...] wrappers and turn a bare None into NoneType."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if tp is None:
        return type(None)
    return tp


def _is_newtype(tp: object) -> bool:
    return isinstance(tp, typing.NewType)


def _is_typeddict(tp: object) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _is_protocol(tp: object) -> bool:
    return isinstance(tp, type) and bool(getattr(tp, "_is_protocol", False)) and tp is not typing.Protocol


def _protocol_members(proto: type) -> set[str]:
    members: set[str] = set()
    for base in proto.__mro__:
        if base in (object, typing.Protocol, typing.Generic) or not getattr(base, "_is_protocol", False):
            continue
        for name in list(base.__dict__) + list(getattr(base, "__annotations__", {})):
            if name.startswith("_abc_") or name in _PROTOCOL_IGNORED:
                continue
            members.add(name)
    return members


_PROTOCOL_IGNORED = frozenset(
    {
        "__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__parameters__",
        "__orig_bases__", "__annotations__", "__abstractmethods__", "__init__", "__slots__",
        "__protocol_attrs__", "__non_callable_proto_members__", "__subclasshook__", "__class_getitem__",
        "__init_subclass__", "__type_params__", "__static_attributes__", "__firstlineno__",
        "_is_protocol", "_is_runtime_protocol",
    }
)


def _has_member(tp: type, name: str) -> bool:
    if hasattr(tp, name):
        return True
    for base in tp.__mro__:
        if name in getattr(base, "__annotations__", {}):
            return True
        fields = getattr(base, "__attrs_attrs__", None)
        if fields is not None and any(f.name == name for f in fields):
            return True
        if name in getattr(base, "__dataclass_fields__", {}):
            return True
    return False


def _origin(tp: object) -> object:
    origin = typing.get_origin(tp)
    return origin if origin is not None else tp


@depth_independent
def is_assignable(src: object, dst: object) -> Verdict:
    """Can a value of type `src` be used where `dst` is expected? None means "cannot tell"."""
    if src is dst and type(src) is type:  # the common case: the same plain class on both ends
        return True
    src, dst = _strip(src), _strip(dst)
    if src is UNKNOWN or dst is UNKNOWN or src in _ANY_FORMS or dst in _ANY_FORMS:
        return None
    if src in _NEVER_FORMS or dst is object:
        return True
    if isinstance(src, typing.TypeVar):
        return None if src.__bound__ is None else is_assignable(src.__bound__, dst)
    if isinstance(dst, typing.TypeVar):
        return None if dst.__bound__ is None else is_assignable(src, dst.__bound__)
    if src == dst:
        return True
    src_origin, dst_origin = typing.get_origin(src), typing.get_origin(dst)
    if src_origin in _UNION_ORIGINS:
        return _all(is_assignable(member, dst) for member in typing.get_args(src))
    if dst_origin in _UNION_ORIGINS:
        return _any(is_assignable(src, member) for member in typing.get_args(dst))
    if src_origin in _LITERAL_ORIGINS:
        return _all(_literal_value_assignable(v, dst) for v in typing.get_args(src))
    if dst_origin in _LITERAL_ORIGINS:
        return False
    if _is_newtype(dst):
        return _newtype_chain_contains(src, dst)
    if _is_newtype(src):
        return is_assignable(src.__supertype__, dst)  # type: ignore[attr-defined]
    if src is typing.LiteralString:
        return is_assignable(str, dst)
    if dst is typing.LiteralString:
        return False
    if _is_typeddict(dst):
        return _typeddict_assignable(src, dst) if _is_typeddict(src) else False
    if _is_typeddict(src):
        return _typeddict_to_mapping(dst)
    if dst_origin is type or dst is type:
        return _type_assignable(src, dst)
    if dst_origin is cabc.Callable or dst is cabc.Callable:
        return _callable_assignable(src, dst)
    return _nominal(src, dst)


def _literal_value_assignable(value: object, dst: object) -> Verdict:
    if typing.get_origin(dst) in _LITERAL_ORIGINS:
        return any(value == v and type(value) is type(v) for v in typing.get_args(dst))
    if typing.get_origin(dst) in _UNION_ORIGINS:
        return _any(_literal_value_assignable(value, m) for m in typing.get_args(dst))
    return is_assignable(type(value), dst)


def _newtype_chain_contains(src: object, dst: object) -> bool:
    current = src
    while _is_newtype(current):
        if current is dst:
            return True
        current = current.__supertype__  # type: ignore[attr-defined]
    return False


def _typeddict_assignable(src: object, dst: object) -> Verdict:
    src_hints = typing_extensions.get_type_hints(src)
    dst_hints = typing_extensions.get_type_hints(dst)
    src_required: frozenset[str] = getattr(src, "__required_keys__", frozenset())
    dst_required: frozenset[str] = getattr(dst, "__required_keys__", frozenset())
    verdicts: list[Verdict] = []
    for key, dst_tp in dst_hints.items():
        if key not in src_hints or ((key in dst_required) != (key in src_required)):
            return False
        verdicts.append(_invariant(src_hints[key], dst_tp))
    return _all(verdicts)


def _typeddict_to_mapping(dst: object) -> Verdict:
    origin = _origin(dst)
    if origin is cabc.Mapping:
        args = typing.get_args(dst)
        return not args or (is_assignable(str, args[0]) is not False and _strip(args[1]) is object)
    return False


def _type_assignable(src: object, dst: object) -> Verdict:
    if _origin(src) is not type:
        return False
    src_args, dst_args = typing.get_args(src), typing.get_args(dst)
    if not dst_args:
        return True
    if not src_args:
        return None
    return is_assignable(src_args[0], dst_args[0])


def _callable_assignable(src: object, dst: object) -> Verdict:
    if _origin(src) is not cabc.Callable:
        callable_instances = isinstance(src, type) and any("__call__" in vars(k) for k in src.__mro__[:-1])
        return None if callable_instances else False
    src_args, dst_args = typing.get_args(src), typing.get_args(dst)
    if not src_args or not dst_args:
        return True
    src_params, src_ret = src_args[0], src_args[-1]
    dst_params, dst_ret = dst_args[0], dst_args[-1]
    ret = is_assignable(src_ret, dst_ret)
    if not isinstance(src_params, list) or not isinstance(dst_params, list):
        return None if ret is not False else False
    if len(src_params) != len(dst_params):
        return False
    return _all([ret, *(is_assignable(d, s) for s, d in zip(src_params, dst_params))])


def _invariant(a: object, b: object) -> Verdict:
    return _all([is_assignable(a, b), is_assignable(b, a)])


def _variance_of(origin: object, index: int) -> str:
    if origin in _INVARIANT_ORIGINS or (origin in _KEY_INVARIANT_ORIGINS and index == 0):
        return "invariant"
    params = getattr(origin, "__parameters__", ())
    if isinstance(origin, type) and index < len(params) and origin.__module__ not in ("builtins", "collections.abc"):
        param = params[index]
        if getattr(param, "__covariant__", False):
            return "covariant"
        if getattr(param, "__contravariant__", False):
            return "contravariant"
        return "invariant"
    return "covariant"


def _nominal(src: object, dst: object) -> Verdict:
    src_origin, dst_origin = _origin(src), _origin(dst)
    if not isinstance(dst_origin, type) or not isinstance(src_origin, type):
        return None
    if _is_protocol(dst_origin) and not issubclass_safe(src_origin, dst_origin):
        return _protocol_assignable(src_origin, dst_origin)
    if not issubclass_safe(src_origin, dst_origin):
        return src_origin in _PROMOTIONS and dst_origin in _PROMOTIONS[src_origin]
    dst_args = typing.get_args(dst)
    if not dst_args:
        return True
    src_args = typing.get_args(src)
    if dst_origin is tuple or src_origin is tuple:
        return _tuple_assignable(src, src_args, dst_origin, dst_args)
    if not src_args:
        return None  # a bare `list` is `list[Any]`
    verdicts: list[Verdict] = []
    for i, (s, d) in enumerate(zip(src_args, dst_args)):
        variance = _variance_of(dst_origin, i)
        if variance == "invariant":
            verdicts.append(_invariant(s, d))
        elif variance == "contravariant":
            verdicts.append(is_assignable(d, s))
        else:
            verdicts.append(is_assignable(s, d))
    return _all(verdicts)


def _tuple_assignable(src: object, src_args: tuple[object, ...], dst_origin: object, dst_args: tuple[object, ...]) -> Verdict:
    if _origin(src) is not tuple:
        return None if not src_args else is_assignable(src_args[0], dst_args[0])
    if not src_args:
        return None
    src_var = len(src_args) == 2 and src_args[1] is Ellipsis
    if dst_origin is not tuple:  # tuple[...] -> Sequence[X] / Iterable[X]
        elems = src_args[:1] if src_var else src_args
        return _all(is_assignable(e, dst_args[0]) for e in elems)
    dst_var = len(dst_args) == 2 and dst_args[1] is Ellipsis
    if dst_var:
        elems = src_args[:1] if src_var else src_args
        return _all(is_assignable(e, dst_args[0]) for e in elems)
    if src_var or len(src_args) != len(dst_args):
        return False
    return _all(is_assignable(s, d) for s, d in zip(src_args, dst_args))


def _protocol_assignable(src: type, proto: type) -> Verdict:
    if _is_protocol(src):
        return _protocol_members(proto) <= _protocol_members(src)
    return all(_has_member(src, name) for name in _protocol_members(proto))


def issubclass_safe(a: type, b: type) -> bool:
    try:
        return issubclass(a, b)
    except TypeError:
        return False


def union_of(types_: Iterable[object]) -> object:
    """The union of several types (deduplicated); UNKNOWN if any is UNKNOWN."""
    unique: list[object] = []
    for tp in types_:
        if tp is UNKNOWN:
            return UNKNOWN
        if tp not in unique:
            unique.append(tp)
    if len(unique) == 1:
        return unique[0]
    return typing.Union[tuple(unique)]  # noqa: UP007 - built from a runtime list


@depth_independent
def format_type(tp: object) -> str:
    """A type as a user would write it: `list[int]`, `int | None`, `Literal['a']`, `?`."""
    if tp is UNKNOWN:
        return "?"
    if tp is None or tp is type(None):
        return "None"
    if tp is Ellipsis:
        return "..."
    if tp in _ANY_FORMS:
        return "Any"
    if tp in _NEVER_FORMS:
        return "Never"
    if isinstance(tp, typing.TypeVar):
        return tp.__name__
    if _is_newtype(tp):
        return str(getattr(tp, "__name__", tp))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return format_type(args[0])
    if origin in _UNION_ORIGINS:
        return " | ".join(format_type(a) for a in args)
    if origin in _LITERAL_ORIGINS:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is cabc.Callable and args:
        params = args[0]
        shown = "..." if params is Ellipsis else f"[{', '.join(format_type(p) for p in params)}]"
        return f"Callable[{shown}, {format_type(args[-1])}]"
    if origin is not None:
        base = format_type(origin)
        if not args:
            return base
        return f"{base}[{', '.join(format_type(a) for a in args)}]"
    if isinstance(tp, list):
        return f"[{', '.join(format_type(a) for a in tp)}]"
    if isinstance(tp, type):
        return tp.__qualname__
    return repr(tp)



def most_specific(types_: Iterable[object]) -> object:
    """The type among `types_` assignable to all the others (the input that satisfies every
    consumer), ignoring UNKNOWN; the first known type if none is; UNKNOWN if all are unknown."""
    known = [t for t in types_ if t is not UNKNOWN]
    if not known:
        return UNKNOWN
    for candidate in known:
        if all(is_assignable(candidate, other) is not False for other in known):
            return candidate
    return known[0]


def tuple_of(types_: Iterable[object]) -> object:
    """`tuple[A, B, ...]` of the given element types (UNKNOWN elements shown as `?`)."""
    return tuple[tuple(types_)]  # type: ignore[misc]
