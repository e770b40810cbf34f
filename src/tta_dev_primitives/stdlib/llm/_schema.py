"""The JSON Schema of a type and validation into it, from well-kept libraries (we write neither):
msgspec for attrs classes, dataclasses, TypedDict, NamedTuple, Literal, Enum, unions, lists,
dicts and primitives; pydantic's TypeAdapter for what msgspec does not know (pydantic models,
and containers of them) when pydantic is installed.

msgspec is an extra: `pip install 'tta-dev-primitives[agents]'`.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ...compiler._types import format_type
from ...errors import BuildError, SchemaMismatch
from ...extras import require

__all__ = ["SchemaMismatch", "TypeSchema", "json_text", "json_value", "msgspec_module", "object_schema", "type_schema"]

WRAPPED = "input"
"""The property holding the input when the type is not a JSON object (a str, a list, ...):
providers require a tool's parameters to be an object."""


def msgspec_module() -> Any:
    """The msgspec module, imported on first use (MissingExtraError naming the `agents` extra
    when it is not installed: an ImportError, never the TypeError of a type it cannot describe)."""
    return require("msgspec", "agents", "tools and structured output")


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


def type_schema(tp: object, *, where: str) -> TypeSchema:
    """The schema and validator of `tp`: msgspec's, else pydantic's; BuildError (naming
    `where`) when neither library can describe the type."""
    try:
        return _with_msgspec(tp)
    except TypeError as error:
        fallback = _with_pydantic(tp)
        if fallback is not None:
            return fallback
        raise BuildError(
            f"{where}: no JSON Schema for {format_type(tp)} ({error}); use attrs classes, dataclasses, TypedDict, "
            "NamedTuple, Literal, Enum, unions, lists, dicts and primitives (or pydantic models, with pydantic installed)"
        ) from None


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
    if wrapped:
        root = {"type": "object", "properties": {wrap: root}, "required": [wrap]}
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
