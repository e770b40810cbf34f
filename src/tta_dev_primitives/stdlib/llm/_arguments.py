"""Limits on a tool call's arguments, checked before they are decoded or sent anywhere.

A model (or whoever speaks for it) writes a tool's arguments; arguments nested a thousand levels
deep make `json.loads`, msgspec and every recursive walk after them raise RecursionError, which
would stop the whole agent. `check_arguments` bounds their nesting depth and size with one linear
scan, and answers with an ArgumentLimitError (a ToolArgumentsError: the model reads it and may
try again) instead. Arguments already decoded (a client that hands over a dict, an MCP request)
are also checked for what JSON cannot carry: a lone surrogate (no UTF-8 encoder takes it, so the
next request would fail) and NaN or Infinity.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterator, Mapping

from ...errors import ArgumentLimitError, ToolArgumentsError

__all__ = [
    "MAX_ARGUMENT_BYTES",
    "MAX_ARGUMENT_DEPTH",
    "MAX_RESULT_DEPTH",
    "ArgumentLimitError",
    "ToolArgumentsError",
    "check_arguments",
    "nested_deeper",
    "not_json",
    "value_end",
]

MAX_ARGUMENT_DEPTH = 64
"""Levels of JSON arrays and objects a tool call's arguments may nest (the arguments object
itself is level 1). Far deeper than any schema a tool needs, far below Python's recursion limit."""

MAX_RESULT_DEPTH = 256
"""Levels a tool's result may nest to be sent to the model, checked on its JSON text: a bound of
our own, so that what is refused does not depend on the interpreter's recursion limit or on how
deep the stack is when the result is encoded."""

MAX_ARGUMENT_BYTES = 1024 * 1024
"""Bytes of JSON (UTF-8) a tool call's arguments may take: 1 MiB, far more than a model writes
in a call (for decoded values: their strings' characters plus one per value, a lower bound of
their JSON size)."""


_TEXT_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|([\[{])|([\]}])', re.S)
_BYTES_TOKENS = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|([\[{])|([\]}])', re.S)
"""A JSON string (skipped whole: brackets inside it do not nest), an opening bracket (group 1),
or a closing one (group 2)."""


def not_json(tool: str, reason: str, got: object = "<not JSON>") -> ToolArgumentsError:
    """The error for arguments JSON cannot carry, saying why (`reason`)."""
    return ToolArgumentsError(tool, "arguments", f"arguments JSON can carry ({reason})", got)


def check_arguments(value: str | bytes | object, *, tool: str) -> None:
    """Raise ArgumentLimitError (naming `tool` and the limit) when `value`, a tool call's
    arguments as JSON text or as already-decoded values (what an MCP client sends), nests deeper
    than MAX_ARGUMENT_DEPTH or is larger than MAX_ARGUMENT_BYTES. Linear in the size of
    `value`; arguments with few brackets are counted, not scanned. Whether the text is valid
    JSON is left to the decoder; decoded values holding a lone surrogate (in a string or a key)
    or a NaN or infinite float are a ToolArgumentsError (`not_json`): the decoder would have
    refused them as text."""
    if type(value) is str and 4 * len(value) <= MAX_ARGUMENT_BYTES and value.count("[") + value.count("{") <= MAX_ARGUMENT_DEPTH:
        return  # what a model writes: small, with few brackets (checked on every tool call)
    if isinstance(value, (str, bytes, bytearray)):
        _check_text(value, tool)
    else:
        _check_value(value, tool)


def _check_text(text: str | bytes | bytearray, tool: str) -> None:
    size = len(text)
    if isinstance(text, str) and MAX_ARGUMENT_BYTES < 4 * size:  # a character takes up to 4 bytes
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_ARGUMENT_BYTES:
        raise ArgumentLimitError(tool, "bytes", MAX_ARGUMENT_BYTES, text)
    if nested_deeper(text, MAX_ARGUMENT_DEPTH):
        raise ArgumentLimitError(tool, "depth", MAX_ARGUMENT_DEPTH, text)


def nested_deeper(text: str | bytes | bytearray, levels: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `levels`, found without decoding
    it (so before a decoder's recursion can fail): text with at most `levels` brackets is only
    counted; other text is scanned once, its strings skipped whole."""
    tokens: Iterator[re.Match[str]] | Iterator[re.Match[bytes]]
    if isinstance(text, str):
        if text.count("[") + text.count("{") <= levels:
            return False
        tokens = _TEXT_TOKENS.finditer(text)
    else:
        if text.count(b"[") + text.count(b"{") <= levels:
            return False
        tokens = _BYTES_TOKENS.finditer(text)
    depth = 0
    for token in tokens:
        kind = token.lastindex
        if kind == 1:
            depth += 1
            if depth > levels:
                return True
        elif kind == 2:
            depth -= 1
    return False


def value_end(text: str, start: int) -> int | None:
    """The index just past the JSON array or object opening at `text[start]`, found by counting
    brackets outside strings (no recursion, however deep it nests); None when it never closes."""
    depth = 0
    for token in _TEXT_TOKENS.finditer(text, start):
        kind = token.lastindex
        if kind == 1:
            depth += 1
        elif kind == 2:
            depth -= 1
            if depth == 0:
                return token.end()
    return None


def _check_value(value: object, tool: str) -> None:
    """Walk decoded values without recursion (a value that contains itself ends at the depth limit)."""
    size = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        size += 1
        if isinstance(item, str):
            size += len(item)
            _check_string(item, tool)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise not_json(tool, "no NaN or Infinity", item)
        elif isinstance(item, (Mapping, list, tuple)):
            if depth >= MAX_ARGUMENT_DEPTH:
                raise ArgumentLimitError(tool, "depth", MAX_ARGUMENT_DEPTH, value)
            if isinstance(item, Mapping):
                fields = typing.cast("Mapping[object, object]", item)
                for key in fields:
                    if isinstance(key, str):
                        size += len(key)
                        _check_string(key, tool)
                    else:
                        size += 1
                stack.extend((child, depth + 1) for child in fields.values())
            else:
                stack.extend((child, depth + 1) for child in typing.cast("list[object] | tuple[object, ...]", item))
        if size > MAX_ARGUMENT_BYTES:
            raise ArgumentLimitError(tool, "bytes", MAX_ARGUMENT_BYTES, value)


def _check_string(text: str, tool: str) -> None:
    """A lone surrogate (what `json.loads` makes of `"\\ud800"`) is refused: no UTF-8 encoder takes it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise not_json(tool, "no lone surrogate in a string", text) from None
