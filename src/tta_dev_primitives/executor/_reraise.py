"""Raising one stored error many times (shared single-flight failures, negative cache hits).

Raising the same exception object again appends the new frames to its traceback, so an error
re-raised on every cache hit grows without bound (22,002 frames after 2,000 hits), and tasks
raising one object at once share (and overwrite) its traceback and context. `fresh_copy` gives
a new exception of the same type, message, attributes and notes for each raise; the stored
original, with its own traceback, becomes the copy's `__cause__`.
"""

from __future__ import annotations

import copy

__all__ = ["fresh_copy"]


def _clone(error: BaseException) -> BaseException:
    if isinstance(error, BaseExceptionGroup):
        group: BaseException = error.derive(error.exceptions)
        group.__dict__.update(error.__dict__)
        return group
    cls = type(error)
    clone: BaseException = cls.__new__(cls, *error.args)  # no __init__: it may take other arguments
    clone.args = error.args
    clone.__dict__.update(error.__dict__)  # attributes the class set in __init__
    return clone


def fresh_copy(error: BaseException, note: str | None = None) -> BaseException:
    """A new exception like `error` to raise in its place, with `error` as its cause and `note`
    added. Falls back to `error` itself, its traceback cleared, if it cannot be copied exactly."""
    try:
        clone = _clone(error)
        if type(clone) is not type(error) or str(clone) != str(error):
            raise TypeError("not an exact copy")
    except Exception:
        return error.with_traceback(None)
    notes = getattr(error, "__notes__", None)
    if notes is not None:
        clone.__notes__ = copy.copy(notes)  # the original's list must not grow with the copy's notes
    if note is not None:
        clone.add_note(note)
    # the original is the cause when it was raised (its traceback says where); an error object
    # that was never raised (a mock's configured error) keeps its own cause, if any
    clone.__cause__ = error if error.__traceback__ is not None else error.__cause__
    return clone
