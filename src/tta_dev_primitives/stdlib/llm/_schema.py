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

__all__ = [
    "SchemaMismatch",
    "TypeSchema",
    "convert_input",
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
    """The msgspec module, imported on first use (ConfigError naming the extra when it is not installed)."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise BuildError("tools and structured output need msgspec: pip install 'tta-dev-primitives[agents]'") from None
    return msgspec


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

    def convert(raw: object) -> Any:
        unknown = unknown_fields(schema, raw)
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


def unknown_fields(schema: Mapping[str, Any], value: object) -> str | None:
    """What is wrong when decoded JSON `value` has a field its closed `schema` does not allow
    (`additionalProperties: false`): a message naming where (`$.items[0]`), the unknown fields
    and the record's own fields, for the first such record found; None when there is none.
    A union's branch is the one its discriminator names, else the only one of the value's kind
    (several candidates: the converter decides). Iterative: any nesting depth."""
    defs: Mapping[str, Any] = schema.get("$defs") or {}
    stack: list[tuple[Mapping[str, Any], object, str]] = [(schema, value, "$")]
    while stack:
        given, item, path = stack.pop()
        sub = _branch(given, item, defs)
        if sub is None:
            continue
        if isinstance(item, Mapping):
            properties = sub.get("properties")
            known: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
            extra = sub.get("additionalProperties")
            if extra is False:
                unknown = [key for key in item if key not in known]
                if unknown:
                    return _unknown_message(unknown, list(known), path)
            for key, child in item.items():
                inner = known.get(key, extra)
                if isinstance(inner, Mapping):
                    stack.append((inner, child, f"{path}.{key}"))
        elif isinstance(item, (list, tuple)):
            prefix = sub.get("prefixItems")
            prefix = prefix if isinstance(prefix, list) else []
            rest = sub.get("items")
            for index, child in enumerate(item):
                inner = prefix[index] if index < len(prefix) else rest
                if isinstance(inner, Mapping):
                    stack.append((inner, child, f"{path}[{index}]"))
    return None


def _unknown_message(unknown: list[object], known: list[str], path: str) -> str:
    def names(fields: list[Any]) -> str:
        shown = ", ".join(f"`{name}`" for name in fields[:_NAMES_SHOWN])
        return shown + (f" and {len(fields) - _NAMES_SHOWN} more" if len(fields) > _NAMES_SHOWN else "")

    plural = "s" if len(unknown) > 1 else ""
    fields = f"its fields are {names(known)}" if known else "it has no fields"
    where = f" at `{path}`" if path != "$" else ""
    return f"Object{where} contains unknown field{plural} {names(unknown)}; {fields}"


def _branch(schema: Mapping[str, Any], value: object, defs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """`schema` with its references followed and, for a union, the branch `value` takes (None
    when that cannot be told without converting)."""
    for _ in range(64):  # a chain of references this long is a cycle
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = defs.get(ref.removeprefix("#/$defs/"))
            if not isinstance(target, Mapping):
                return None
            schema = target
            continue
        keyword = next((key for key in ("anyOf", "oneOf", "allOf") if isinstance(schema.get(key), list)), None)
        if keyword is None:
            return schema
        choices: list[Any] = schema[keyword]
        if keyword == "allOf":
            if len(choices) != 1 or not isinstance(choices[0], Mapping):
                return None
            schema = choices[0]
            continue
        chosen = _tagged(schema, value) or _only_of_kind(choices, value, defs)
        if chosen is None:
            return None
        schema = chosen
    return None


def _tagged(schema: Mapping[str, Any], value: object) -> Mapping[str, Any] | None:
    """The branch a tagged union's discriminator names for `value`."""
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, Mapping) or not isinstance(value, Mapping):
        return None
    ref = (discriminator.get("mapping") or {}).get(value.get(discriminator.get("propertyName")))
    return {"$ref": ref} if isinstance(ref, str) else None


def _only_of_kind(choices: list[Any], value: object, defs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one branch of `choices` for values of `value`'s kind (object or array)."""
    kind = "object" if isinstance(value, Mapping) else "array" if isinstance(value, (list, tuple)) else None
    if kind is None:
        return None
    matching = []
    for choice in choices:
        resolved = choice
        ref = choice.get("$ref") if isinstance(choice, Mapping) else None
        if isinstance(ref, str):
            resolved = defs.get(ref.removeprefix("#/$defs/"))
        if isinstance(resolved, Mapping) and resolved.get("type") == kind:
            matching.append(resolved)
    return matching[0] if len(matching) == 1 else None


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
