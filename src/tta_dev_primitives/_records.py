"""The fields of record-like objects (dataclasses and attrs classes), read one way everywhere:
cache keys canonicalise them and log redaction masks them field by field."""

from __future__ import annotations

import dataclasses

import attrs

__all__ = ["record_fields"]


def record_fields(value: object) -> dict[str, object] | None:
    """`{field name: value}` of a dataclass or attrs instance, in declaration order; None for
    anything else (classes themselves included)."""
    if isinstance(value, type):
        return None
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    kind = type(value)
    if attrs.has(kind):
        return {a.name: getattr(value, a.name) for a in attrs.fields(kind)}
    return None
