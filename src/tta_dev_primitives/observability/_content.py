"""Recorded content: a node's input or output as OpenInference `input.value` / `output.value`.

Only when the user asks (`configure_tracing(record_content=True)`). The value is bounded before
it is looked at (a 1 MB document costs what `content_limit` characters cost), secrets are masked
as in logs, and recording never raises: a value that cannot be rendered is recorded as a short
placeholder, and the span is unharmed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from ._redaction import redact

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["CONTENT_LIMIT", "record_content", "render_content"]

CONTENT_LIMIT = 8192
"""Characters of a recorded `input.value` / `output.value` kept by default; the rest is cut."""


def render_content(value: object, limit: int, total: int | None = None) -> tuple[str, bool]:
    """`value` as recorded text and whether it is JSON: a string as itself, anything else as
    JSON, secrets masked, cut at `limit` characters with a marker saying how much was left out
    (`total` is the full length when `value` is already a prefix, as a stream's collected text
    is). A cut JSON value is no longer JSON."""
    if isinstance(value, str):
        text, is_json = str(redact(value, max_chars=limit)), False
    else:
        try:
            text, is_json = json.dumps(redact(value, max_chars=limit), ensure_ascii=False, default=str), True
        except (TypeError, ValueError):  # e.g. an int beyond the digits JSON encoding allows
            text, is_json = f"<unrecordable {type(value).__name__}>", False
    whole = max(total or 0, len(text), len(value) if isinstance(value, str) else 0)
    if whole > limit:
        return f"{text[:limit]}… [{whole - limit} more characters]", False
    return text, is_json


def record_content(span: Span, direction: Literal["input", "output"], value: object, limit: int, names: Any, mimes: Any, total: int | None = None) -> None:
    """Set `<direction>.value` and `<direction>.mime_type` on `span` (OpenInference's names
    `names`, mime types `mimes`). Never raises."""
    try:
        text, is_json = render_content(value, limit, total)
    except Exception:  # noqa: BLE001 - recording content must never cost the span
        text, is_json = f"<unrecordable {type(value).__name__}>", False
    value_key, mime_key = (names.INPUT_VALUE, names.INPUT_MIME_TYPE) if direction == "input" else (names.OUTPUT_VALUE, names.OUTPUT_MIME_TYPE)
    span.set_attribute(value_key, text)
    span.set_attribute(mime_key, (mimes.JSON if is_json else mimes.TEXT).value)
