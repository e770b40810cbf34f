"""Limits on a tool call's arguments, checked before they are decoded or sent anywhere.

A model (or whoever speaks for it) writes a tool's arguments; arguments nested a thousand levels
deep make `json.loads`, msgspec and every recursive walk after them raise RecursionError, which
would stop the whole agent. `check_arguments` bounds their nesting depth and size with one linear
scan, and answers with an ArgumentLimitError (a ToolArgumentsError: the model reads it and may
try again) instead.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator, Mapping

from ...errors import ConfigError

__all__ = ["MAX_ARGUMENT_BYTES", "MAX_ARGUMENT_DEPTH", "ArgumentLimitError", "ToolArgumentsError", "check_arguments", "nested_deeper"]

MAX_ARGUMENT_DEPTH = 64
"""Levels of JSON arrays and objects a tool call's arguments may nest (the arguments object
itself is level 1). Far deeper than any schema a tool needs, far below Python's recursion limit."""

MAX_ARGUMENT_BYTES = 1024 * 1024
"""Bytes of JSON (UTF-8) a tool call's arguments may take: 1 MiB, far more than a model writes
in a call (for decoded values: their strings' characters plus one per value, a lower bound of
their JSON size)."""


class ToolArgumentsError(ConfigError):
    """A model's arguments for a tool do not fit the tool's input type."""


class ArgumentLimitError(ToolArgumentsError):
    """A tool call's arguments are nested deeper than MAX_ARGUMENT_DEPTH or larger than
    MAX_ARGUMENT_BYTES. `limit` names which ("depth" or "bytes"), `maximum` its value."""

    def __init__(self, tool: str, limit: str, maximum: int, got: object) -> None:
        what = _WHAT[limit].format(maximum)
        self.node, self.field, self.expected, self.got = tool, "arguments", f"arguments not {what}", got
        self.limit = limit
        self.maximum = maximum
        # not ConfigError's message: it would show the value, whose repr may itself be deep or huge
        Exception.__init__(self, f"{tool}: arguments {what} are refused (the limit for a tool call's arguments)")

    def __reduce__(self) -> tuple[type[ArgumentLimitError], tuple[str, str, int, object]]:
        return type(self), (self.node, self.limit, self.maximum, self.got)


_WHAT = {"depth": "nested deeper than {} levels", "bytes": "larger than {} bytes"}

_TEXT_TOKENS = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|([\[{])|([\]}])', re.S)
_BYTES_TOKENS = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|([\[{])|([\]}])', re.S)
"""A JSON string (skipped whole: brackets inside it do not nest), an opening bracket (group 1),
or a closing one (group 2)."""


def check_arguments(value: str | bytes | object, *, tool: str) -> None:
    """Raise ArgumentLimitError (naming `tool` and the limit) when `value`, a tool call's
    arguments as JSON text or as already-decoded values (what an MCP client sends), nests deeper
    than MAX_ARGUMENT_DEPTH or is larger than MAX_ARGUMENT_BYTES. Linear in the size of
    `value`; arguments with few brackets are counted, not scanned. Whether the text is valid
    JSON is left to the decoder."""
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


def _check_value(value: object, tool: str) -> None:
    """Walk decoded values without recursion (a value that contains itself ends at the depth limit)."""
    size = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        size += 1
        if isinstance(item, str):
            size += len(item)
        elif isinstance(item, (Mapping, list, tuple)):
            if depth >= MAX_ARGUMENT_DEPTH:
                raise ArgumentLimitError(tool, "depth", MAX_ARGUMENT_DEPTH, value)
            if isinstance(item, Mapping):
                fields = typing.cast("Mapping[object, object]", item)
                size += sum(len(key) if isinstance(key, str) else 1 for key in fields)
                stack.extend((child, depth + 1) for child in fields.values())
            else:
                stack.extend((child, depth + 1) for child in typing.cast("list[object] | tuple[object, ...]", item))
        if size > MAX_ARGUMENT_BYTES:
            raise ArgumentLimitError(tool, "bytes", MAX_ARGUMENT_BYTES, value)

