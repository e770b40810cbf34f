"""Annotate exceptions with where in the plan they happened.

Two kinds of note. `note` places an error on its path (the step of the innermost sequence, or
the plan when nothing inside did) once: an outer sequence's note would only repeat the path.
`label` says which of several concurrent runs failed (a map's item, a parallel's branch); no
inner note can say that, so every such level adds its own, inner to outer.
"""

from __future__ import annotations

from ..compiler._ir import Op

_MARK = "__tta_where__"


def already_noted(exc: BaseException) -> bool:
    """Whether a level of the plan has placed `exc` already (see `note`)."""
    return getattr(exc, _MARK, False)


def note(exc: BaseException, text: str) -> None:
    """Add `text` as a note unless an inner level of the plan already placed the error."""
    if not getattr(exc, _MARK, False):
        label(exc, text)


def label(exc: BaseException, text: str) -> None:
    """Add `text` as a note even if the error is placed already, and count it as placed. A note
    it has already is not added again: one exception object raised run after run (a module-level
    constant) does not grow without bound."""
    try:
        setattr(exc, _MARK, True)
    except AttributeError:  # a frozen exception: add_note would fail the same way
        return
    if text not in getattr(exc, "__notes__", ()):
        exc.add_note(text)


def where(op: Op) -> str:
    """How notes and messages name an op: its name, kind and build location."""
    return f"{op.name!r} ({op.primitive_type}, built at {op.location})"
