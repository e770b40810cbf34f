"""The JSON Schema of a type and validation into it, from well-kept libraries (we write neither):
msgspec for attrs classes, dataclasses, TypedDict, NamedTuple, Literal, Enum, unions, lists,
dicts and primitives; pydantic's TypeAdapter for what msgspec does not know (pydantic models,
and containers of them) when pydantic is installed.

An input's schema is closed (`type_schema(..., closed=True)`): its records say
`additionalProperties: false`, and a field the type does not have is refused, where both
libraries would drop it silently. `convert_input` is how JSON becomes a typed input everywhere:
a tool's arguments (from a model or an MCP client) and `tta-primitives run --input`.

msgspec is an extra: `pip install 'tta-dev-primitives[agents]'`.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ...compiler._types import format_type
from ...errors import BuildError, JSONInputError, SchemaMismatch
from ...extras import require

__all__ = [
    "SchemaMismatch",
    "TypeSchema",
    "convert_input",
    "field_checker",
    "json_text",
    "json_value",
    "msgspec_module",
    "object_schema",
    "type_schema",
    "unknown_fields",
]

WRAPPED = "input"
"""The property holding the input when the type is not a JSON object (a str, a list, ...):
providers require a tool's parameters to be an object."""


def msgspec_module() -> Any:
    """The msgspec module, imported on first use (MissingExtraError naming the `agents` extra
    when it is not installed: an ImportError, never the TypeError of a type it cannot describe)."""
    return require("msgspec", "agents", "a typed tool or structured output")


@attrs.frozen(eq=False)
class TypeSchema:
    """A type's JSON Schema, and `convert(raw)`: a decoded JSON value validated into the type
    (raises SchemaMismatch). `library` says whose they are (msgspec or pydantic)."""

    tp: object
    schema: Mapping[str, Any]
    convert: Callable[[object], Any]
    library: str


ANY_JSON: Mapping[str, Any] = {"description": "any JSON value"}
"""The schema of `object` (msgspec's for `Any` is `{}`, which its schema hook may not return):
a field or an input typed `object` takes any JSON value, as one typed `Any` does."""


def _any_json(tp: type) -> dict[str, Any]:
    if tp is object:
        return dict(ANY_JSON)
    raise NotImplementedError  # msgspec's own TypeError follows: the pydantic fallback's turn


def _with_msgspec(tp: object) -> TypeSchema:
    msgspec = msgspec_module()
    schema = msgspec.json.schema(tp, schema_hook=_any_json)  # TypeError when msgspec does not know the type

    def convert(raw: object) -> Any:
        try:
            return msgspec.convert(raw, tp, strict=False)
        except msgspec.ValidationError as error:
            raise SchemaMismatch(str(error)) from None
        except UnicodeEncodeError as error:  # a lone surrogate in a str it tried to read as a number
            raise SchemaMismatch(f"a string JSON cannot carry: {error.reason} (at position {error.start})") from None

    return TypeSchema(tp, schema, convert, "msgspec")


def _with_pydantic(tp: object) -> TypeSchema | None:
    try:
        import pydantic
    except ImportError:
        return None
    try:
        adapter: Any = pydantic.TypeAdapter(typing.cast(Any, tp))
        schema = adapter.json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError):
        return None

    def convert(raw: object) -> Any:
        try:
            return adapter.validate_python(raw)
        except pydantic.ValidationError as error:
            raise SchemaMismatch(str(error).replace("\n", "; ")) from None

    return TypeSchema(tp, schema, convert, "pydantic")


def type_schema(tp: object, *, where: str, closed: bool = False) -> TypeSchema:
    """The schema and validator of `tp`: msgspec's, else pydantic's; BuildError (naming
    `where`) when neither library can describe the type. `closed` (an input's schema): every
    record (an object with `properties` that does not say otherwise) gets `additionalProperties:
    false`, and `convert` refuses a field it does not have (SchemaMismatch naming it)."""
    try:
        found = _with_msgspec(tp)
    except TypeError as error:
        fallback = _with_pydantic(tp)
        if fallback is None:
            raise BuildError(
                f"{where}: no JSON Schema for {format_type(tp)} ({error}); use attrs classes, dataclasses, TypedDict, "
                "NamedTuple, Literal, Enum, unions, lists, dicts and primitives (or pydantic models, with pydantic installed)"
            ) from None
        found = fallback
    return _closed(found) if closed else found


def _closed(open_schema: TypeSchema) -> TypeSchema:
    schema = _close_records(open_schema.schema)
    lenient = open_schema.convert
    check = _checks(schema)
    if check is None:  # no record anywhere in the type (a str, a list of ints): nothing to refuse
        return TypeSchema(open_schema.tp, schema, lenient, open_schema.library)

    def convert(raw: object) -> Any:
        try:
            unknown = check(raw, "$")
        except RecursionError:  # a recursive type nested past the interpreter's limit (tool arguments stop at 64 levels first)
            raise SchemaMismatch("a value nested too deeply to check") from None
        if unknown is not None:
            raise SchemaMismatch(unknown)
        return lenient(raw)

    return TypeSchema(open_schema.tp, schema, convert, open_schema.library)


_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
"""The keywords whose value is a list of schemas (the walks below visit only schemas, never a
field that happens to be called `type` or a `default` value)."""


def _close_records(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `schema` where every record says `additionalProperties: false` (one that says
    otherwise, a pydantic model with `extra="allow"`, keeps its word)."""
    closed: dict[str, Any] = copy.deepcopy(dict(schema))
    stack: list[object] = [closed]
    while stack:
        sub = stack.pop()
        if not isinstance(sub, dict):
            continue
        properties = sub.get("properties")
        if sub.get("type") == "object" and isinstance(properties, dict) and "additionalProperties" not in sub:
            sub["additionalProperties"] = False
        for key in ("properties", "$defs"):
            if isinstance(sub.get(key), dict):
                stack.extend(sub[key].values())
        for key in ("additionalProperties", "items"):
            stack.append(sub.get(key))
        for key in _SUBSCHEMA_LISTS:
            if isinstance(sub.get(key), list):
                stack.extend(sub[key])
    return closed


_NAMES_SHOWN = 20
"""Field names an unknown-field message lists (a megabyte of made-up fields makes a short one)."""

_Check = Callable[[object, str], "str | None"]
"""Checks a decoded JSON value (at a path such as `$.items[0]`) against a closed schema: what is
wrong, or None."""


def field_checker(schema: Mapping[str, Any]) -> Callable[[object], str | None]:
    """`check(value)`: what is wrong when decoded JSON `value` has a field its closed `schema`
    does not allow (`additionalProperties: false`), as a message naming where (`$.items[0]`),
    the unknown fields and the record's own fields, for the first such record found; None when
    there is none. The schema is read once, here: a check visits only the objects and arrays
    that can hold a record. A union's branch is the one its discriminator names, else the only
    one of the value's kind (several candidates: the converter decides)."""
    check = _checks(schema)

    def checked(value: object) -> str | None:
        return check(value, "$") if check is not None else None

    return checked


def _checks(schema: Mapping[str, Any]) -> _Check | None:
    """The check of a closed `schema` (see `field_checker`), None when it has no record."""
    return _Compiler(schema.get("$defs") or {}).compile(schema)


def unknown_fields(schema: Mapping[str, Any], value: object) -> str | None:
    """`field_checker(schema)(value)`, for one value."""
    return field_checker(schema)(value)


def _is_object(value: object) -> bool:
    return isinstance(value, dict) or (not isinstance(value, (str, int, float, list)) and isinstance(value, Mapping))


class _Compiler:
    """A closed schema as nested checks (`_Check`), `$defs` compiled once each (recursive types too)."""

    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.refs: dict[str, _Check | None] = {}

    def compile(self, schema: object) -> _Check | None:
        """The check of `schema`, or None when nothing under it can be a closed record."""
        if not isinstance(schema, Mapping):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._ref(ref)
        for keyword in ("anyOf", "oneOf"):
            if isinstance(schema.get(keyword), list):
                return self._union(schema, schema[keyword])
        every = schema.get("allOf")
        if isinstance(every, list):  # pydantic's `{"allOf": [{"$ref": ...}], "description": ...}`
            return self.compile(every[0]) if len(every) == 1 else None
        if isinstance(schema.get("properties"), Mapping) or isinstance(schema.get("additionalProperties"), Mapping):
            return self._object(schema)
        if "items" in schema or "prefixItems" in schema:
            return self._array(schema)
        return None

    def _ref(self, ref: str) -> _Check | None:
        name = ref.removeprefix("#/$defs/")
        if name in self.refs:
            return self.refs[name]
        slot: list[_Check | None] = [None]

        def forward(value: object, path: str) -> str | None:  # a recursive type refers to itself
            check = slot[0]
            return check(value, path) if check is not None else None

        self.refs[name] = forward
        slot[0] = self.refs[name] = self.compile(self.defs.get(name))
        return slot[0]

    def _object(self, schema: Mapping[str, Any]) -> _Check | None:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        known = frozenset(properties) if extra is False else None
        children = {key: inner for key, sub in properties.items() if (inner := self.compile(sub)) is not None}
        rest = self.compile(extra)
        if known is None and not children and rest is None:
            return None
        names = list(properties)

        def check(value: object, path: str) -> str | None:
            if type(value) is not dict and not _is_object(value):
                return None  # not an object: the converter says so
            fields = typing.cast("Mapping[object, object]", value)
            if known is not None and not known.issuperset(fields):
                return _unknown_message([key for key in fields if key not in known], names, path)
            for name, inner in children.items():
                if name in fields:
                    found = inner(fields[name], f"{path}.{name}")
                    if found is not None:
                        return found
            if rest is not None:
                for key, item in fields.items():
                    if key not in properties:
                        found = rest(item, f"{path}.{key}")
                        if found is not None:
                            return found
            return None

        return check

    def _array(self, schema: Mapping[str, Any]) -> _Check | None:
        prefix = [self.compile(sub) for sub in schema.get("prefixItems") or []]
        rest = self.compile(schema.get("items"))
        if rest is None and not any(prefix):
            return None

        def check(value: object, path: str) -> str | None:
            if not isinstance(value, (list, tuple)):
                return None
            for index, item in enumerate(value):
                inner = prefix[index] if index < len(prefix) else rest
                if inner is not None:
                    found = inner(item, f"{path}[{index}]")
                    if found is not None:
                        return found
            return None

        return check

    def _union(self, schema: Mapping[str, Any], choices: list[Any]) -> _Check | None:
        objects = [self.compile(choice) for choice in choices if self._kind(choice) == "object"]
        arrays = [self.compile(choice) for choice in choices if self._kind(choice) == "array"]
        one_object = objects[0] if len(objects) == 1 else None
        one_array = arrays[0] if len(arrays) == 1 else None
        discriminator = schema.get("discriminator")
        tag, tagged = None, {}
        if isinstance(discriminator, Mapping) and isinstance(discriminator.get("mapping"), Mapping):
            tag = discriminator.get("propertyName")
            tagged = {value: self._ref(ref) for value, ref in discriminator["mapping"].items() if isinstance(ref, str)}
        if one_object is None and one_array is None and not any(tagged.values()):
            return None

        def check(value: object, path: str) -> str | None:
            inner: _Check | None
            if _is_object(value):
                fields = typing.cast("Mapping[object, object]", value)
                inner = tagged.get(fields.get(tag), one_object) if tagged else one_object
            elif isinstance(value, (list, tuple)):
                inner = one_array
            else:
                return None
            return inner(value, path) if inner is not None else None

        return check

    def _kind(self, schema: object) -> object:
        """The JSON type a union's branch takes ("object", "array", ...), through a reference."""
        for _ in range(64):  # a chain of references this long is a cycle
            if not isinstance(schema, Mapping):
                return None
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                break
            schema = self.defs.get(ref.removeprefix("#/$defs/"))
        if not isinstance(schema, Mapping):
            return None
        if "properties" in schema or isinstance(schema.get("additionalProperties"), Mapping):
            return "object"
        return schema.get("type")


def _unknown_message(unknown: list[object], known: list[str], path: str) -> str:
    def names(fields: list[Any]) -> str:
        shown = ", ".join(f"`{name}`" for name in fields[:_NAMES_SHOWN])
        return shown + (f" and {len(fields) - _NAMES_SHOWN} more" if len(fields) > _NAMES_SHOWN else "")

    plural = "s" if len(unknown) > 1 else ""
    fields = f"its fields are {names(known)}" if known else "it has no fields"
    where = f" at `{path}`" if path != "$" else ""
    return f"Object{where} contains unknown field{plural} {names(unknown)}; {fields}"


def convert_input(
    validator: TypeSchema, raw: object, *, where: str, field: str, error: type[JSONInputError] = JSONInputError
) -> Any:
    """Decoded JSON `raw` as a value of the validator's type (a closed one refuses unknown
    fields): the one conversion of JSON into a typed input, for a tool's arguments and the CLI's
    `--input`. Raises `error` (a JSONInputError) naming `where`, `field`, the type and why."""
    try:
        return validator.convert(raw)
    except SchemaMismatch as mismatch:
        name = format_type(validator.tp)
        raise error(where, field, f"{'an' if name[:1] in 'AEIOUaeiou' else 'a'} {name} ({mismatch})", raw) from None


def object_schema(schema: Mapping[str, Any], *, wrap: str = WRAPPED) -> tuple[dict[str, Any], bool]:
    """`schema` as an object schema (providers require one) with its root inlined, and whether
    the value had to be wrapped in `{wrap: ...}` (`{"input": ...}`) to make it one."""
    schema = dict(schema)
    defs: dict[str, Any] = schema.pop("$defs", {})
    root = schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and len(schema) == 1:
        name = ref.removeprefix("#/$defs/")
        root = dict(defs[name])
        others = {k: v for k, v in defs.items() if k != name}
        if ref not in json.dumps([root, others]):  # keep the root's definition only if it recurses
            defs = others
    wrapped = root.get("type") != "object"
    if wrapped:  # our envelope: it has exactly the one field
        root = {"type": "object", "properties": {wrap: root}, "required": [wrap], "additionalProperties": False}
    if defs:
        root["$defs"] = defs
    return root, wrapped


def json_value(text: str | bytes) -> object:
    """JSON text decoded by msgspec: strict JSON only (no NaN), and a ValueError (msgspec's
    DecodeError, or UnicodeEncodeError for text holding a lone surrogate) for what would break
    later: lone surrogates, which no UTF-8 encoder takes, and ints too long for Python to
    print. Bound its nesting first (`arguments.check_arguments`, `arguments.nested_deeper`)."""
    decoded: object = msgspec_module().json.decode(text)
    return decoded


def json_text(value: object) -> str:
    """`value` as JSON text for a model to read: msgspec's encoding, else pydantic's (pydantic
    models, and containers of them). TypeError when neither can encode it, ValueError for what
    JSON cannot carry (a lone surrogate, an int too long to print), RecursionError for a value
    nested past the encoder's limit or containing itself: the caller says whose value it was."""
    try:
        return str(msgspec_module().json.encode(value).decode())
    except TypeError:
        try:
            import pydantic_core
        except ImportError:
            raise
        try:
            return pydantic_core.to_json(value).decode()
        except pydantic_core.PydanticSerializationError as error:
            raise TypeError(str(error)) from None
