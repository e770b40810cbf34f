"""Annotate exceptions with where in the plan they happened, once, at the innermost level."""

from __future__ import annotations

from ..compiler.ir import Op

_MARK = "__tta_where__"


def already_noted(exc: BaseException) -> bool:
    return getattr(exc, _MARK, False)


def note(exc: BaseException, text: str) -> None:
    """Add `text` as a note unless an inner level of the plan already placed the error."""
    if getattr(exc, _MARK, False):
        return
    try:
        setattr(exc, _MARK, True)
    except AttributeError:
        return
    exc.add_note(text)


def where(op: Op) -> str:
    return f"{op.name!r} ({op.primitive_type}, built at {op.location})"
