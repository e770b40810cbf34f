"""Journal codecs: a node's output as bytes and back, chosen from its declared type. Never pickle.

A typed output (attrs classes, dataclasses, msgspec Structs, TypedDicts, NamedTuples, enums,
Literals, unions, containers of them) is encoded with msgspec's msgpack codec and decoded as
that type, so a resumed run gets back values of the types the next node expects. A pydantic
model uses pydantic's own JSON round trip. When a type cannot be journaled, `codec_for` raises
JournalCodecError as the durable closures are built, before anything runs. An output with no
declared type (`?`, `object`, `Any`) is recorded as exact plain data, the cache's tagged tree:
tuples stay tuples, int keys stay ints; anything else is refused when it is returned.

Each payload is decoded once when it is written, so a value that does not fit its declared type
(an untyped function that returns something else) fails the run there, naming the node, not
when a later resume reads it back.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid

import attrs

from ..compiler._types import format_type
from ..dsl._types import UNKNOWN
from ..extras import require
from ..stdlib.cache._codec import _culprit, _difference, _Refused, _to_tree, from_tree
from .errors import JournalCodecError, JournalEncodeError

if typing.TYPE_CHECKING:
    from ..compiler._ir import Op
    from ..executor._journaling import ValueCodec

__all__ = ["codec_for", "describe_op"]

_UNTYPED = (UNKNOWN, object, typing.Any)


def describe_op(op: Op) -> str:
    """How errors about an op's journaled values name it: its node and build location."""
    return f"node {op.name!r} (built at {op.location})"


def _msgspec() -> typing.Any:
    return require("msgspec", "durable", "a durable run")


class PlainCodec:
    """Exact plain data (str, int, float, bool, None, bytes, list, tuple, dict, set), for
    outputs with no declared type."""

    def __init__(self, op: Op) -> None:
        msgspec = _msgspec()
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder().decode
        self._op = op

    def encode(self, value: object) -> bytes:
        try:
            return typing.cast(bytes, self._encode(_to_tree(value, "output", True)))
        except _Refused as refused:
            raise JournalEncodeError(
                f"{describe_op(self._op)} returned a {_culprit(refused.kind)} (at {refused.path}) that a durable run cannot "
                "journal: its output type is not declared, so only plain data is recorded; annotate its return type "
                "(an attrs class, dataclass, msgspec Struct, TypedDict, ...) or return plain data"
            ) from None
        except (RecursionError, TypeError, ValueError, OverflowError) as error:
            raise JournalEncodeError(f"{describe_op(self._op)} returned a value a durable run cannot journal: {error}") from None

    def decode(self, data: bytes) -> object:
        return from_tree(self._decode(data))


_WIDE = 1
"""The msgpack extension code of a value journaled as JSON: msgpack has no ints beyond 64 bits."""


class TypedCodec:
    """msgspec msgpack, decoded as the declared type. A value holding an int beyond 64 bits is
    journaled as msgspec JSON (any int) inside a msgpack extension, decoded as the same type."""

    def __init__(self, op: Op, tp: object) -> None:
        msgspec = _msgspec()
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder(tp).decode  # TypeError for a type it cannot decode
        self._msgspec = msgspec
        self._errors = (msgspec.ValidationError, msgspec.DecodeError, TypeError, ValueError, OverflowError, RecursionError)
        self._op, self._type = op, tp

    def encode(self, value: object) -> bytes:
        try:
            try:
                data = typing.cast(bytes, self._encode(value))
            except OverflowError:  # an int beyond 64 bits somewhere in it
                data = typing.cast(bytes, self._encode(self._msgspec.msgpack.Ext(_WIDE, self._msgspec.json.encode(value))))
            back = self.decode(data)  # it must come back as the declared type...
        except self._errors as error:
            raise JournalEncodeError(
                f"{describe_op(self._op)} returned a {type(value).__qualname__} that does not journal as its declared type "
                f"{format_type(self._type)}: {error}"
            ) from None
        differs = _difference(value, back, "output")  # ...and as the same value, of the same types
        if differs is not None and type(value).__eq__ is not object.__eq__:
            raise JournalEncodeError(
                f"{describe_op(self._op)} returned a value that would replay differently from its declared type "
                f"{format_type(self._type)}: {differs} (a subclass, an int for a float, a tuple for a Sequence, ...); "
                "declare the exact type it returns"
            )
        return data

    def decode(self, data: bytes) -> object:
        try:
            return self._decode(data)
        except self._msgspec.ValidationError:
            wide = self._msgspec.msgpack.decode(data)
            if not (isinstance(wide, self._msgspec.msgpack.Ext) and wide.code == _WIDE):
                raise
            return self._msgspec.json.decode(wide.data, type=self._type)


class PydanticCodec:
    """A pydantic model (or a type containing one): pydantic's JSON round trip."""

    def __init__(self, op: Op, tp: object) -> None:
        import pydantic

        self._adapter: pydantic.TypeAdapter[object] = pydantic.TypeAdapter(typing.cast(typing.Any, tp))
        self._op, self._type = op, tp

    def encode(self, value: object) -> bytes:
        try:
            data = self._adapter.dump_json(value)
            self._adapter.validate_json(data)
        except Exception as error:  # noqa: BLE001 - pydantic raises several kinds; all mean "cannot journal"
            raise JournalEncodeError(
                f"{describe_op(self._op)} returned a {type(value).__qualname__} that does not journal as {format_type(self._type)}: {error}"
            ) from None
        return data

    def decode(self, data: bytes) -> object:
        return self._adapter.validate_json(data)


def _mentions_pydantic(tp: object) -> bool:
    import sys

    if "pydantic" not in sys.modules:
        return False
    import pydantic

    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return True
    return any(_mentions_pydantic(arg) for arg in typing.get_args(tp))


_LEAVES: frozenset[object] = frozenset(
    {str, int, float, bool, bytes, bytearray, type(None), datetime.datetime, datetime.date, datetime.time, datetime.timedelta, uuid.UUID, decimal.Decimal}
)
_CONTAINERS: frozenset[object] = frozenset(
    {list, tuple, dict, set, frozenset, collections.abc.Sequence, collections.abc.Mapping, collections.abc.Set, collections.abc.MutableSequence}
)


def _fields_of(tp: type) -> dict[str, object] | None:
    """The field types of a class msgspec encodes by its fields, or None for another class."""
    msgspec = _msgspec()
    shaped = attrs.has(tp) or dataclasses.is_dataclass(tp) or issubclass(tp, msgspec.Struct) or typing.is_typeddict(tp)
    shaped = shaped or (issubclass(tp, tuple) and hasattr(tp, "_fields"))  # a NamedTuple
    if not shaped:
        return None
    try:
        return typing.get_type_hints(tp)
    except Exception:  # noqa: BLE001 - unresolvable annotations: msgspec and the write-time check decide
        return {}


def unsupported(tp: object, seen: set[int] | None = None) -> str | None:
    """Which part of `tp` msgspec cannot encode and decode by its shape, or None. (msgspec's
    Decoder accepts any class, expecting a hook for it; a journal has none.)"""
    seen = set() if seen is None else seen
    if id(tp) in seen or tp in _UNTYPED or tp is None or isinstance(tp, typing.TypeVar) or tp is Ellipsis:
        return None
    seen.add(id(tp))
    supertype = getattr(tp, "__supertype__", None)
    if supertype is not None:  # a NewType
        return unsupported(supertype, seen)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return None
    if origin is typing.Annotated:
        return unsupported(typing.get_args(tp)[0], seen)
    if origin is not None:
        if isinstance(origin, type) and origin not in _CONTAINERS and origin not in _LEAVES and origin is not types.UnionType:
            found = unsupported(origin, seen)  # a generic class: its own fields
            if found is not None:
                return found
        for arg in typing.get_args(tp):
            found = unsupported(arg, seen)
            if found is not None:
                return found
        return None
    if not isinstance(tp, type):
        return None  # another typing form: msgspec decides
    if tp in _LEAVES or tp in _CONTAINERS or issubclass(tp, enum.Enum):
        return None
    fields = _fields_of(tp)
    if fields is None:
        return f"{format_type(tp)}, a class with no declared fields"
    for field_type in fields.values():
        found = unsupported(field_type, seen)
        if found is not None:
            return found
    return None


def codec_for(op: Op, tp: object) -> ValueCodec:
    """The codec of `op`'s values of type `tp`; JournalCodecError naming the op and the type
    when that type cannot be journaled."""
    _msgspec()  # the durable extra
    if tp in _UNTYPED or isinstance(tp, typing.TypeVar):
        return PlainCodec(op)
    if _mentions_pydantic(tp):
        return PydanticCodec(op, tp)
    try:
        problem = unsupported(tp)
        if problem is not None:
            raise TypeError(f"it holds {problem}")
        return TypedCodec(op, tp)
    except TypeError as error:
        raise JournalCodecError(
            f"{describe_op(op)}: its output type {format_type(tp)} cannot be journaled ({error}); a durable run records "
            "the output of every node not declared pure. Return an attrs class, dataclass, msgspec Struct, TypedDict, "
            "NamedTuple, enum or plain data, or declare the node pure (`.declare(pure=True)`) so that a resumed run "
            "re-runs it instead"
        ) from None
