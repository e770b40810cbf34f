"""In-process key forms: what an in-memory cache keys a structured input by.

A key in a store shared across processes must be a stable digest (see `_keys`), but a key
that only lives in this process's memory needs no digest: a hashable value that is equal
exactly when two inputs' canonical forms are equal will do, and it costs a small fraction of
canonical JSON plus SHA-256. `memory_form(value)` builds one:

- str, int, bytes and None stand for themselves ("raw": no two of them of different types are
  equal), and so does a tuple of raw values;
- everything else is a tuple that starts with a tag of its own: `True` is not `1`, `1.0` is
  not `1`, `-0.0` is not `0.0`, NaN finds itself, a list is not a tuple, a set is not a
  frozenset, an IntEnum is not its int, a str subclass is not its str;
- dicts, sets and frozensets become frozensets (order never matters, as in the canonical form):
  a dict of raw keys and values is its items, beside each key's value type when some are bools;
- records (dataclasses, attrs classes) are their class and their fields' forms, in order; the
  form of a frozen record whose fields are immutable all the way down is remembered while
  the record lives, so keying it again (a retry, the earlier messages of a conversation) costs
  one lookup.

Forms are never finer-grained by accident nor coarser: equal canonical forms give equal forms
(except classes of one qualified name, which are told apart here by identity: a miss, never a
collision). A value the canonical form refuses gets the same CacheKeyError, built only then.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import weakref
from collections.abc import Callable, Hashable, Mapping
from operator import attrgetter
from typing import Any, cast

import attrs

from ..._records import record_fields
from ._keys import NON_OUTPUT_FIELDS, CallArgs, canonical_json, llm_key

__all__ = ["form_text", "llm_form", "memory_form"]


class _Tag:
    """The head of a tagged form: equal only to itself, so no raw value or other tag matches."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_TRUE, _FALSE = _Tag("True"), _Tag("False")
_FLOAT, _LIST, _TUPLE, _DICT, _TYPED_DICT, _SET, _FROZENSET = (
    _Tag(n) for n in ("float", "list", "tuple", "dict", "typed dict", "set", "frozenset")
)
_CALL, _ENUM, _RECORD, _MODEL, _SUB, _DIGEST, _LLM = (
    _Tag(n) for n in ("call", "enum", "record", "model", "subclass", "digest", "llm")
)

_RAW = frozenset({str, int, bytes, type(None)})
"""Types whose values are their own forms: values of two different ones are never equal."""

_SAFE = _RAW | {bool}
"""Types whose values stand for themselves beside their types (a dict's values): with the
types alongside, `True` and `1` no longer match."""


class _Unsupported(Exception):
    """A value with no form here: the canonical form says why (or, if it can key it after all,
    the input is keyed by its digest)."""


def _float(value: float) -> Hashable:
    # NaN and zeros by their hex (NaN finds itself, -0.0 is not 0.0); others by value (cheaper)
    return (_FLOAT, value) if value == value and value != 0.0 else (_FLOAT, value.hex())


def _tuple(value: tuple[object, ...]) -> Hashable:
    if _RAW.issuperset(map(type, value)):
        return value
    return (_TUPLE, *map(_form, value))


def _list(value: list[object]) -> Hashable:
    if _RAW.issuperset(map(type, value)):
        return (_LIST, *value)
    return (_LIST, *map(_form, value))


def _dict(value: Mapping[Any, object]) -> Hashable:
    """Items as a frozenset of (key form, value form) pairs: key order never matters. With raw
    keys and values of the `_SAFE` types, the items themselves and each key's value type."""
    if _RAW.issuperset(map(type, value)):
        values = value.values()
        if _RAW.issuperset(map(type, values)):
            return (_DICT, frozenset(value.items()))
        if _SAFE.issuperset(map(type, values)):
            return (_TYPED_DICT, frozenset(value.items()), frozenset(zip(value, map(type, values))))
    return (_DICT, frozenset([(_form(k), _form(v)) for k, v in value.items()]))


def _members(value: set[object] | frozenset[object]) -> frozenset[object]:
    if _RAW.issuperset(map(type, value)):
        return frozenset(value)
    return frozenset(map(_form, value))


def _raw(value: object) -> Hashable:
    return value  # only called for the _RAW types, all hashable


_EXACT_TYPES: dict[type, Callable[[object], Hashable]] = {
    str: _raw,
    int: _raw,
    bytes: _raw,
    type(None): _raw,
    bool: lambda value: _TRUE if value else _FALSE,
    float: _float,  # type: ignore[dict-item]
    tuple: _tuple,  # type: ignore[dict-item]
    list: _list,  # type: ignore[dict-item]
    dict: _dict,  # type: ignore[dict-item]
    set: lambda value: (_SET, _members(value)),  # type: ignore[arg-type]
    frozenset: lambda value: (_FROZENSET, _members(value)),  # type: ignore[arg-type]
}
"""Forms of the builtin types, matched exactly (subclasses are tagged: see `_other`)."""


def _getter(names: list[str]) -> Callable[[object], tuple[object, ...]]:
    """One C-level getter of these attributes, giving a tuple (attrgetter of one name gives the
    value itself, and of none is refused)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda record: (one(record),)
    return lambda record: ()


class _Remembered:
    """The form of one frozen record, kept while the record lives (see `_memo`); its hash is
    computed once, so a form holding it hashes in constant time too."""

    __slots__ = ("form", "hash", "ref")

    def __init__(self, form: tuple[object, ...], ref: weakref.ref[object]) -> None:
        self.form = form
        self.hash = hash(form)
        self.ref = ref

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return other is self or (isinstance(other, _Remembered) and other.hash == self.hash and other.form == self.form)

    def __repr__(self) -> str:
        return repr(self.form)


_memo: dict[int, _Remembered] = {}
"""Forms of frozen records by `id`, checked against a weak reference: a record keyed again
(the same request on a retry or in a second cached node, the earlier messages of a
conversation) costs one lookup."""

_llm_memo: dict[int, _Remembered] = {}
"""`llm_form`s of frozen requests by `id` (as `_memo`)."""

_MEMO_LIMIT = 10_000
"""Entries a memo holds before the dead ones are dropped (and the older half, if few were)."""


def _remember(memo: dict[int, _Remembered], value: object, form: tuple[object, ...]) -> _Remembered:
    """Remember `form` as the form of `value` (a frozen record whose fields are immutable all the
    way down, so its form cannot change while it lives)."""
    if len(memo) >= _MEMO_LIMIT:
        for key, entry in list(memo.items()):
            if entry.ref() is None:
                memo.pop(key, None)
        if len(memo) >= _MEMO_LIMIT // 2:
            for key in list(itertools.islice(memo, len(memo) // 2)):
                memo.pop(key, None)
    entry = memo[id(value)] = _Remembered(form, weakref.ref(value))
    return entry


def _immutable(value: object) -> bool:
    """Whether a field value (not a raw scalar, bool or float) can never change: a tuple or
    frozenset of such values, an enum member, or a remembered frozen record."""
    kind = type(value)
    if kind in _RAW or kind is bool or kind is float:
        return True
    if kind is tuple or kind is frozenset:
        return all(map(_immutable, value))  # type: ignore[call-overload]
    if isinstance(value, enum.Enum):
        return True
    entry = _memo.get(id(value))
    return entry is not None and entry.ref() is value


def _fields_form(head: tuple[object, ...], fields: tuple[object, ...]) -> tuple[tuple[object, ...], bool]:
    """`head` and the forms of `fields`; and whether every field is immutable all the way down.
    One loop with the common field types inline (no call per str, int, None, bool, float or
    empty tuple): records are most of what an LLM request is made of."""
    form = list(head)
    append = form.append
    immutable = True
    for value in fields:
        kind = type(value)
        if kind in _RAW:
            append(value)
        elif kind is bool:
            append(_TRUE if value else _FALSE)
        elif kind is float:
            append(_float(value))  # type: ignore[arg-type]
        elif kind is tuple and not value:
            append(value)  # () is its own form
        else:
            made = _form(value)
            append(made)
            if immutable and not (made is value or type(made) is _Remembered or (kind is tuple and _IMMUTABLE_FORMS.issuperset(map(type, made)))):  # type: ignore[call-overload]
                immutable = _immutable(value)
    return tuple(form), immutable


_IMMUTABLE_FORMS = frozenset({str, int, bytes, type(None), _Tag, _Remembered})
"""The types of element forms that show a tuple is immutable: raw values, bools (tags) and
remembered records (a raw tuple is its own form: immutable too)."""


def _frozen(kind: type) -> bool:
    """Whether the forms of this record class's instances may be remembered: frozen (attrs or
    dataclass) and weakly referenceable."""
    if not kind.__weakrefoffset__:
        return False
    params = getattr(kind, "__dataclass_params__", None)
    if params is not None:
        return bool(params.frozen)
    return attrs.has(kind) and getattr(kind, "__setattr__", None) is _ATTRS_FROZEN


_ATTRS_FROZEN = getattr(attrs.frozen(type("_Probe", (), {"__annotations__": {}})), "__setattr__", None)
"""The `__setattr__` attrs gives frozen classes."""


def _record_form(kind: type, getter: Callable[[object], tuple[object, ...]]) -> Callable[[object], Hashable]:
    """The form function of one record class: its class and its fields' forms, in declaration
    order; for frozen classes, remembered per record."""
    head = (_RECORD, kind)
    if not _frozen(kind):
        return lambda value: _fields_form(head, getter(value))[0]

    def remembered_form(value: object) -> Hashable:
        entry = _memo.get(id(value))
        if entry is not None and entry.ref() is value:
            return entry
        form, immutable = _fields_form(head, getter(value))
        return _remember(_memo, value, form) if immutable else form

    return remembered_form


def _enum_form(value: object) -> Hashable:
    return (_ENUM, type(value), value.name)  # type: ignore[attr-defined]


def _other(value: object) -> Hashable:
    """Forms of everything but the builtin types, in the order the canonical form checks them.
    Enum and record classes are then served straight from `_EXACT_TYPES`."""
    kind = type(value)
    if isinstance(value, CallArgs):
        return (_CALL, _tuple(value.args), _dict(value.kwargs))
    if isinstance(value, enum.Enum):
        _EXACT_TYPES[kind] = _enum_form
        return _enum_form(value)
    fields = None if isinstance(value, type) else record_fields(value)
    if fields is not None:
        make = _EXACT_TYPES[kind] = _record_form(kind, _getter(list(fields)))
        return make(value)
    dump = getattr(value, "model_dump", None)  # pydantic v2 models
    if callable(dump):
        return (_MODEL, kind, _form(dump(mode="json")))
    for base in (str, int, float, bytes, list, tuple, dict, set, frozenset):  # subclasses: tagged
        if isinstance(value, base):
            plain = cast("Callable[[object], object]", base)(value)
            return (_SUB, kind, _EXACT_TYPES[base](plain))
    if isinstance(value, Mapping):
        return (_SUB, kind, _dict(value))
    raise _Unsupported


def _form(value: object) -> Hashable:
    make = _EXACT_TYPES.get(type(value))
    return make(value) if make is not None else _other(value)


def memory_form(value: object) -> Hashable:
    """A hashable form of `value`, equal exactly when the canonical forms are equal.

    Raises CacheKeyError, as the canonical form does, for values with no stable form."""
    try:
        make = _EXACT_TYPES.get(type(value))  # `_form`, inlined: this is the hit path
        return make(value) if make is not None else _other(value)
    except (_Unsupported, RecursionError):
        pass
    # the canonical form raises the error that names the value and where it sits; should it key
    # the value after all, the digest is a form too (slower, tagged apart)
    return (_DIGEST, hashlib.sha256(canonical_json(value).encode()).hexdigest())


_llm_requests: dict[type, tuple[Callable[[object], tuple[object, ...]], bool] | None] = {}
"""Per attrs request class: the getter of the fields `llm_key` keys and whether its requests
can be remembered (None: the class lacks `model` or `messages`, so llm_key refuses it)."""

def _llm_request(kind: type) -> tuple[Callable[[object], tuple[object, ...]], bool] | None:
    if kind in _llm_requests:
        return _llm_requests[kind]
    names = [a.name for a in attrs.fields(kind)]
    keyed = [name for name in names if name not in NON_OUTPUT_FIELDS]
    found = _llm_requests[kind] = (_getter(keyed), _frozen(kind)) if "model" in names and "messages" in names else None
    return found


def llm_form(request: object) -> Hashable:
    """The in-memory equivalent of `llm_key(request)`: equal forms mean equal `llm_key`s (the
    fields llm_key leaves out are left out here too), with no JSON and no digest; a frozen
    request keyed again costs one lookup. (Finer only where it costs a miss, never a wrong hit:
    a ChatRequest and the equal OpenAI-style mapping share an llm_key, not a form.)

    Raises CacheKeyError exactly where llm_key does."""
    entry = _llm_memo.get(id(request))
    if entry is not None and entry.ref() is request:
        return entry
    kind = type(request)
    try:
        if attrs.has(kind):  # a ChatRequest, or any attrs request class (as llm_key checks first)
            found = _llm_request(kind)
            if found is not None:
                getter, frozen = found
                form, immutable = _fields_form((_LLM, kind), getter(request))
                return _remember(_llm_memo, request, form) if frozen and immutable else form
        elif isinstance(request, Mapping) and "model" in request and "messages" in request:
            return (_LLM, None, _dict({k: v for k, v in request.items() if k not in NON_OUTPUT_FIELDS}))
    except (_Unsupported, RecursionError):
        pass
    return (_DIGEST, llm_key(request))  # raises llm_key's own error for what it cannot key


def form_text(form: object) -> str:
    """A text of a form that is equal for equal forms (frozensets in a sorted order): what a
    key's label hashes. Only hooks ask for it."""
    if isinstance(form, _Remembered):
        return form_text(form.form)
    if isinstance(form, tuple):
        return "(" + ", ".join(map(form_text, form)) + ")"
    if isinstance(form, frozenset):
        return "{" + ", ".join(sorted(map(form_text, form))) + "}"
    if isinstance(form, type):
        return f"{form.__module__}.{form.__qualname__}"
    if type(form) is int:
        return format(form, "x")  # repr of huge ints is refused
    return repr(form)
