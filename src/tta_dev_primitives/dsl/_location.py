"""Where a node was built: captured at construction so errors can point at user code."""

from __future__ import annotations

import functools
import os
import sys
from types import FrameType

import attrs

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@attrs.frozen(slots=True)
class SourceLocation:
    """A file and line in user code."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{_short(self.file)}:{self.line}"


UNKNOWN_LOCATION = SourceLocation("<unknown>", 0)


def _short(path: str) -> str:
    """Paths relative to the working directory when below it, so messages stay readable."""
    return _relative(path, os.getcwd())


@functools.lru_cache(maxsize=512)
def _relative(path: str, cwd: str) -> str:  # EXPLAIN of a big plan prints one file many times
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def capture_location() -> SourceLocation:
    """Return the first stack frame outside this package: the line of user code building a node."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return SourceLocation(filename, frame.f_lineno)
        frame = frame.f_back
    return UNKNOWN_LOCATION
